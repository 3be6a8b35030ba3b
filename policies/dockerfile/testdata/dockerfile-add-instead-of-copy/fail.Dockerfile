FROM python:3.12-slim
WORKDIR /app
# want-next
ADD requirements.txt .
# want-next
ADD --chown=10001:10001 src/ config.yaml /app/
# want-next
ADD ["static files", "/app/static/"]
USER 10001
