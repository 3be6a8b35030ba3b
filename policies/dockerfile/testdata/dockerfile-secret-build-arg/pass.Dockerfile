# syntax=docker/dockerfile:1
ARG NODE_VERSION=22
FROM node:${NODE_VERSION}-alpine
ARG VERSION
ARG TOKEN_FILE
WORKDIR /app
COPY package*.json ./
RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN \
    npm ci --omit=dev
ENV APP_VERSION=${VERSION} CONFIG_TOKEN=${HOME}/.config/token
USER node
