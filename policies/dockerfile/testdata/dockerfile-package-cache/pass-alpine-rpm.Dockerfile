FROM alpine:3.20 AS alpine
RUN apk add --no-cache curl
RUN apk --no-cache add git
RUN apk add bash && rm -rf /var/cache/apk/*

FROM rockylinux:9
RUN dnf install -y git && dnf clean all
RUN microdnf install -y jq && microdnf clean all
RUN yum -y install tar && yum clean all && rm -rf /var/cache/yum
USER 10001
