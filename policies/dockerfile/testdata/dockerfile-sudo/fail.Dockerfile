FROM ubuntu:24.04
RUN apt-get update \
 && apt-get install -y --no-install-recommends sudo \
 && rm -rf /var/lib/apt/lists/*
RUN useradd -m dev && echo 'dev ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/dev
USER dev
# want-next
RUN sudo mkdir -p /opt/app && sudo chown dev /opt/app
# want-next
RUN make build && sudo -E make install
# want-next
RUN ["sudo", "ldconfig"]
