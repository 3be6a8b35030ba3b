FROM alpine:3.20 AS gitserver-test
# builder stages are not shipped
EXPOSE 22

FROM alpine:3.20
EXPOSE 2222 8022 443/tcp
USER 65534
