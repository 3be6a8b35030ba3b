FROM alpine:3.20
RUN echo crlf \
    continued
USER 1000
