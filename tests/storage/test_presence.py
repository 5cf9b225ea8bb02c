"""Worker presence: live processes on a channel share its send limit (SQLite and PostgreSQL)."""

from __future__ import annotations

from coopbot.storage.db import make_engine
from coopbot.storage.migrate import upgrade_async
from coopbot.storage.presence import TTL, Presence


async def test_live_workers_are_counted_and_dead_ones_drop_out(database_url: str) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    now = [1000.0]
    a, b = (Presence(engine, "telegram", clock=lambda: now[0]) for _ in range(2))
    zalo = Presence(engine, "zalo", clock=lambda: now[0])
    assert await a.beat() == 1
    assert await b.beat() == 2 and await zalo.beat() == 1  # channels are counted apart
    assert await a.beat() == 2  # a second beat is not a second worker
    now[0] += TTL + 1  # b died without leaving
    assert await a.beat() == 1
    await b.beat()
    await b.leave()
    assert await a.beat() == 1
    await engine.dispose()
