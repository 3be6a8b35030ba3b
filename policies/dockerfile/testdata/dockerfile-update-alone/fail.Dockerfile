FROM ubuntu:24.04
# want-next
RUN apt-get update
RUN apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*

FROM alpine:3.20
# want-next
RUN apk update
RUN apk add --no-cache git

FROM rockylinux:9
# want-next
RUN dnf -q makecache && echo "metadata cached"
RUN dnf install -y git && dnf clean all
