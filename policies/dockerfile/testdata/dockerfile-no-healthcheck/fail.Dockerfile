FROM node:22-alpine AS build
WORKDIR /app
COPY . .
RUN npm ci && npm run build
# a HEALTHCHECK in a builder stage is not in the final image
HEALTHCHECK CMD true

# want-next
FROM nginx:1.27-alpine
COPY --from=build /app/dist /usr/share/nginx/html
EXPOSE 80
