FROM ubuntu:24.04 AS base
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-server \
 && rm -rf /var/lib/apt/lists/*
# want-next
EXPOSE 22

FROM base
# want-next
EXPOSE 8080 22/tcp
CMD ["/usr/sbin/sshd", "-D"]
