FROM ubuntu:24.04
RUN apt-get update \
 && apt-get install -y --no-install-recommends gosu \
 && rm -rf /var/lib/apt/lists/*
RUN useradd -m app && mkdir -p /opt/app && chown app /opt/app
RUN echo "sudo is not installed in this image" > /etc/motd
USER app
RUN make build
USER root
RUN make install
USER app
