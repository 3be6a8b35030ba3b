ARG GO_VERSION=1.22
ARG BASE_IMAGE
FROM golang:${GO_VERSION}-alpine AS build
RUN go version

FROM build AS test
RUN go vet ./...

FROM ${BASE_IMAGE} AS custom
RUN true

FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d AS runtime
RUN true

FROM scratch
COPY --from=build /usr/local/go/bin/go /go
