FROM alpine:3.20
# want-next
RUN apk add --update curl ca-certificates
# want-next
RUN apk update && apk add git
RUN apk add --no-cache bash
USER 65534
