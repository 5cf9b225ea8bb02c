"""Background jobs of ``coopbot serve``; each is an owned task tied to the server's life."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from coopbot.storage.retention import apply_retention

log = logging.getLogger(__name__)
DAY = 24 * 3600.0


async def retention_loop(engine: AsyncEngine, days: int, interval: float, delay: float) -> None:
    """Apply retention after ``delay`` seconds, then every ``interval``; errors are logged."""
    await asyncio.sleep(delay)
    while True:
        try:
            report = await apply_retention(engine, days)
            log.info(
                "retention: cleared text of %d inquiries, deleted %d inbox/quarantine rows, "
                "%d sessions, %d sign-in throttle rows, %d curated texts",
                report.inquiries_cleared,
                report.updates_deleted,
                report.sessions_deleted,
                report.throttles_deleted,
                report.curated_deleted,
            )
        except Exception:  # the database may be down; try again next time
            log.exception("retention pass failed")
        await asyncio.sleep(interval)


def retention_job(
    engine: AsyncEngine, days: int, interval: float = DAY, delay: float = 60.0
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` that runs the retention loop while the server runs."""

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(retention_loop(engine, days, interval, delay), name="retention")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx
