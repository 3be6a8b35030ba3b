FROM alpine:3.20
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://github.com/example/tool/releases/download/v1.2.3/tool-linux-amd64 /usr/local/bin/tool
ADD https://github.com/example/lib.git#0c2e4bbf29f0c4e4f3e4d06cbb1a2d5c5f0e8a11 /src/lib
ADD vendor.tar.gz /src/
COPY . /src/
USER 65534
