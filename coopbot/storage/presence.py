"""Which processes send on a channel right now, so they can share its send limit.

Each process beats every few seconds; the live count divides Telegram's 30 messages a second
between them. One row per process, no per-message round trip: the limit is shared at the cost
of a few seconds' lag when a worker starts or dies (a dead worker's share returns after TTL).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from sqlalchemy import delete, func, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from coopbot.storage.db import session_factory
from coopbot.storage.tables import WorkerPresence

TTL = 15.0  # seconds without a beat after which a worker no longer counts
FORGET = 3600.0  # rows this stale are deleted


class Presence:
    """This process's heartbeat on one channel."""

    def __init__(
        self, engine: AsyncEngine, channel: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.sessions = session_factory(engine)
        self.channel, self.clock = channel, clock
        self.id = secrets.token_hex(8)

    async def beat(self) -> int:
        """Record that this worker is alive; how many workers are live on the channel (≥ 1)."""
        now = self.clock()
        async with self.sessions() as s:
            found = await s.exec(
                update(WorkerPresence).where(col(WorkerPresence.id) == self.id).values(seen_at=now)
            )
            if not found.rowcount:
                s.add(WorkerPresence(id=self.id, channel=self.channel, seen_at=now))
            await s.exec(delete(WorkerPresence).where(col(WorkerPresence.seen_at) < now - FORGET))
            live = (
                await s.exec(
                    select(func.count()).where(
                        col(WorkerPresence.channel) == self.channel,
                        col(WorkerPresence.seen_at) >= now - TTL,
                    )
                )
            ).one()
            await s.commit()
        return max(1, int(live))

    async def leave(self) -> None:
        """Stop counting this worker (on a clean shutdown)."""
        async with self.sessions() as s:
            await s.exec(delete(WorkerPresence).where(col(WorkerPresence.id) == self.id))
            await s.commit()
