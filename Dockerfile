# The bot as a container: `docker compose up -d` runs it with PostgreSQL (compose.yaml).
FROM python:3.11-slim-bookworm

# Pango and HarfBuzz draw the PDF reports (WeasyPrint); DejaVu has the Cyrillic glyphs.
# Debian's stable versions are what is wanted, so they are not pinned.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --create-home vmeste

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY faq ./faq
COPY polls ./polls
RUN pip install -c constraints.txt .

# The unprivileged user made above (numeric, so the host can resolve it).
USER 10001
# The working directory holds what the bot writes: the SQLite file when DATABASE_URL is
# not set, and faq-local.yaml of /faq_add. Mount a volume here.
WORKDIR /data
VOLUME ["/data"]

ENV HEALTH_HOST=0.0.0.0 \
    HEALTH_PORT=8086
EXPOSE 8086
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('HEALTH_PORT', '8086'), timeout=4)"]

CMD ["vmeste-bot", "run"]
