"""Operations endpoints: ``/readyz`` (the database answers) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)
ENGINE_KEY = web.AppKey("engine", AsyncEngine)
METRICS_KEY = web.AppKey("metrics", Metrics)
READY_TIMEOUT = 2.0


async def database_ready(engine: AsyncEngine, limit: float = READY_TIMEOUT) -> str | None:
    """None when ``SELECT 1`` answers in time, else a short reason (no URL, no secrets)."""
    try:
        async with asyncio.timeout(limit):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except TimeoutError:
        return f"database did not answer within {limit:g}s"
    except Exception as exc:  # any driver error means not ready; name its type only
        return f"database unavailable ({type(exc).__name__})"
    return None


async def readyz(request: web.Request) -> web.Response:
    """Readiness: 200 when the database answers, else 503 with the reason."""
    reason = await database_ready(request.app[ENGINE_KEY])
    if reason is not None:
        log.warning("not ready: %s", reason)
        return web.json_response({"status": "unavailable", "reason": reason}, status=503)
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    """The Prometheus text exposition of this worker's registry."""
    body = request.app[METRICS_KEY].exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def add_ops_routes(app: web.Application, engine: AsyncEngine, registry: Metrics) -> None:
    """Mount ``/readyz`` and ``/metrics``."""
    app[ENGINE_KEY] = engine
    app[METRICS_KEY] = registry
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
