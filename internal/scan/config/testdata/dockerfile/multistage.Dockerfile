# syntax=docker/dockerfile:1
# A comment before the first instruction.
ARG BASE=golang:1.23
ARG VERSION

FROM --platform=$BUILDPLATFORM ${BASE} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly" EMPTY='' \
    NEXT=line
ENV LEGACY value with spaces
LABEL org.opencontainers.image.title="rampart" maintainer='me'
RUN ["go", "build", "-o", "/out/app", "./cmd/app"]
RUN apt-get update && \
    # a comment inside a continuation
    apt-get install -y --no-install-recommends ca-certificates
COPY <<EOT /etc/app.conf
key=value
EOT
RUN <<EOF bash
set -e
echo built
EOF
ONBUILD RUN ["echo", "triggered"]

from gcr.io/distroless/static:nonroot as final
COPY --from=build --chown=65532:65532 /out/app /app
USER 65532:65532
HEALTHCHECK --interval=30s CMD ["/app", "health"]
ENTRYPOINT ["/app"]
