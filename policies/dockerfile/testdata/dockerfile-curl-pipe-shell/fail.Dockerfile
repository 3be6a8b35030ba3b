FROM ubuntu:24.04
# want-next
RUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
# want-next
RUN wget -qO- https://get.example.com/install.sh | sh
# want-next
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && curl https://sh.rustup.rs -sSf \
    | sh -s -- -y \
 && rm -rf /var/lib/apt/lists/*
# want-next
RUN bash <(curl -fsSL https://example.com/setup.sh)
# want-next
RUN sh -c "$(curl -fsSL https://raw.githubusercontent.com/example/install/master/install.sh)"
# want-next
RUN curl -sSL https://install.python-poetry.org | python3 -
