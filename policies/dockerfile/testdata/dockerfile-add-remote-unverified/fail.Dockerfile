FROM alpine:3.20
# want-next
ADD https://github.com/example/tool/releases/download/v1.2.3/tool-linux-amd64 /usr/local/bin/tool
# want-next
ADD --chmod=0755 https://example.com/install.sh /tmp/install.sh
# want-next
ADD https://github.com/example/lib.git#v2.0.0 /src/lib
USER 65534
