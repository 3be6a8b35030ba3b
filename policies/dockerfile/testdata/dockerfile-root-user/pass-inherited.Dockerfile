FROM python:3.12-slim AS base
RUN useradd --create-home --uid 10001 app
USER root
RUN mkdir /data && chown app /data
USER 10001

FROM base AS test
RUN python -m compileall /usr/local/lib

FROM base
WORKDIR /home/app
CMD ["python", "-m", "http.server"]
