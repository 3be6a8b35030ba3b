# syntax=docker/dockerfile:1
FROM golang:1.22-bookworm AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app

FROM debian:12-slim
RUN useradd --system --uid 10001 app
USER app
COPY --from=build /out/app /usr/local/bin/app
# switched back to root for the entrypoint script and never dropped
# want-next
USER root
ENTRYPOINT ["/usr/local/bin/app"]
