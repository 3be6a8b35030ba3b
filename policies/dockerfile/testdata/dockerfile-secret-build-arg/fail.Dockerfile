# want-next
ARG NPM_TOKEN
FROM node:22-alpine AS build
# want-next
ARG NPM_TOKEN
WORKDIR /app
COPY package*.json ./
RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc
# want-next
ARG SENTRY_AUTH_TOKEN
RUN npx sentry-cli releases new "$VERSION"

FROM node:22-alpine
# want-next
ARG DB_PASSWORD
# want-next
ENV DB_PASSWORD=${DB_PASSWORD}
USER node
