FROM postgres:16-alpine
ENV POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password \
    POSTGRES_USER=app
ENV GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/google/key.json
ENV MYSQL_ALLOW_EMPTY_PASSWORD=no
ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D
ENV API_KEY=""
ENV TOKEN_URL=https://auth.example.com/oauth/token
LABEL org.opencontainers.image.title="db" org.opencontainers.image.source="https://example.com/db"
USER postgres
