FROM node:22-alpine
ARG RUN_AS=root
WORKDIR /app
COPY . .
# want-next
USER ${RUN_AS}
CMD ["node", "server.js"]
