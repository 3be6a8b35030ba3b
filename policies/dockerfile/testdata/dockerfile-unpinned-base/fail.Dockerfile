ARG NODE_IMAGE=node
ARG TAG=latest
# want-next
FROM ${NODE_IMAGE} AS deps
RUN npm --version

# want-next
FROM golang:latest AS build
RUN go version

# want-next
FROM registry.example.com:5000/team/base:${TAG}
COPY --from=deps /usr/local/bin/node /usr/local/bin/node
COPY --from=build /usr/local/go/bin/go /usr/local/bin/go
