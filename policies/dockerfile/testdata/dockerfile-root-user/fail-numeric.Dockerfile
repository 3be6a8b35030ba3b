FROM alpine:3.20 AS base
RUN adduser -D -u 1000 app
USER app

FROM base
# want-next
USER 0:0
CMD ["sh"]
