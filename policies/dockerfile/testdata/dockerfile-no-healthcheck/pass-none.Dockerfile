FROM gcr.io/distroless/static-debian12:nonroot AS base
# probes are done by Kubernetes; disable any inherited healthcheck on purpose
HEALTHCHECK NONE

FROM base
COPY app /app
ENTRYPOINT ["/app"]
