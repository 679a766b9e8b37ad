# The bot over HTTP (`voc serve`), as a non-root user, with a health check.
#   docker build -t voc .
#   docker run -p 3000:3000 --env-file .env voc
# compose.yaml runs two of these on one PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Every dependency ships as a wheel for this base: no compiler, no system libraries.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install . \
    && useradd --system --uid 10001 --user-group --home-dir /data --create-home voc

USER voc
WORKDIR /data
# SQLite in the volume when no DATABASE_URL is given; compose.yaml gives PostgreSQL's.
ENV DATABASE_URL=sqlite:////data/voc.db
VOLUME ["/data"]
EXPOSE 3000

# Liveness: the process answers and its database does. Readiness (/readyz) is for the proxy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4)"]

CMD ["voc", "serve", "--host", "0.0.0.0", "--port", "3000"]
