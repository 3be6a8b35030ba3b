FROM alpine:3.20 AS unrelated-builder
# not part of the final image: not reported
RUN apk add build-base

FROM python:3.12-slim AS base
# want-next
RUN apt-get update && apt-get install -y --no-install-recommends libpq5
# want-next
RUN pip install gunicorn==22.0.0

FROM base
WORKDIR /app
COPY requirements.txt .
# want-next
RUN python -m pip install -r requirements.txt
# want-next
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && apt-get clean
COPY --from=unrelated-builder /usr/bin/make /usr/local/bin/make
USER 10001
