# coopbot: one aiohttp server (web chat, API, webhooks, staff web).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    COOPBOT_HOST=0.0.0.0 COOPBOT_PORT=8080 COOPBOT_LOG_FORMAT=json \
    COOPBOT_DATABASE_URL=sqlite+aiosqlite:////data/coopbot.db

RUN useradd --create-home --uid 10001 coopbot && mkdir /data && chown coopbot /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY coopbot ./coopbot
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install . && python -c "import coopbot, bot"
ENV COOPBOT_KNOWLEDGE_DIR=/app/knowledge

USER coopbot
VOLUME ["/data"]
EXPOSE 8080
# Liveness only: /readyz (database) is for the load balancer, so a database outage does not
# get every worker restarted.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s \
  CMD python -c "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('COOPBOT_PORT', '8080'), timeout=2)" || exit 1
CMD ["coopbot", "serve"]
