FROM scratch AS rootfs
# ADD unpacks a local tar archive: a legitimate use
ADD alpine-minirootfs-3.20.0-x86_64.tar.gz /

FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
COPY --chown=10001:10001 src/ /app/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool-1.0 /usr/local/bin/tool
ADD https://github.com/example/lib.git#0c2e4bbf29f0c4e4f3e4d06cbb1a2d5c5f0e8a11 /src/lib
USER 10001
