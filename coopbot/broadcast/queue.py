"""The persistent delivery queue: claim with a lease, start, finish, retry; portable SQL.

A claim is one UPDATE over a materialised CTE (``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
SQLite serialises writers)
that stamps a random token and a lease on pending rows; a worker then only touches rows carrying
its token. A killed worker's rows come back when their lease ends; a live worker renews its
leases (``renew``). Each row is marked ``sent`` right after the channel accepted it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col

from coopbot.storage.tables import Broadcast, Delivery


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this worker holds."""

    id: int
    broadcast_id: int
    channel: str
    chat_id: str
    attempts: int
    claim: str


class DeliveryQueue:
    """Queue operations over ``delivery`` rows."""

    def __init__(
        self, engine: AsyncEngine, lease: float = 60.0, clock: Callable[[], float] = time.time
    ) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.lease, self.clock = lease, clock

    async def claim(self, channels: Iterable[str], limit: int) -> list[Claimed]:
        """Take up to ``limit`` due, unleased, pending rows of queued broadcasts."""
        now, token = self.clock(), secrets.token_hex(8)
        due = (
            select(col(Delivery.id))
            .join(Broadcast, col(Broadcast.id) == col(Delivery.broadcast_id))
            .where(
                col(Delivery.status) == "pending",
                col(Delivery.due_at) <= now,
                col(Delivery.lease_until) < now,
                col(Delivery.channel).in_(list(channels)),
                col(Broadcast.state) == "queued",
            )
            .order_by(col(Delivery.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=Delivery)
            .cte("due")
            .prefix_with("MATERIALIZED", dialect="postgresql")  # picked once, not per row
        )
        async with self._sessions() as s:
            await s.execute(
                update(Delivery)
                .where(
                    col(Delivery.id).in_(select(due.c.id)),
                    col(Delivery.status) == "pending",
                    col(Delivery.lease_until) < now,
                )
                .values(claim=token, lease_until=now + self.lease)
            )
            await s.commit()
            rows = await s.execute(
                select(Delivery).where(col(Delivery.claim) == token).order_by(col(Delivery.id))
            )
            return [
                Claimed(d.id or 0, d.broadcast_id, d.channel, d.chat_id, d.attempts, token)
                for d in rows.scalars()
            ]

    async def start(self, item: Claimed) -> bool:
        """About to send: still ours and still pending (not cancelled)? Counts the attempt."""
        return await self._update(
            item,
            {"attempts": item.attempts + 1, "lease_until": self.clock() + self.lease},
            only_pending=True,
        )

    async def finish(self, item: Claimed, status: str, error: str = "") -> None:
        """Record the outcome (sent, blocked, failed)."""
        values: dict[str, object] = {"status": status, "lease_until": 0.0}
        if status == "sent":
            values["sent_at"] = datetime.now(UTC)
        if error:
            values["error"] = error[:200]
        await self._update(item, values)

    async def retry(self, item: Claimed, after: float, error: str = "") -> None:
        """Give the row back, due again in ``after`` seconds."""
        values = {"claim": None, "lease_until": 0.0, "due_at": self.clock() + after}
        await self._update(item, {**values, "error": error[:200] or None}, only_pending=True)

    async def release(self, items: Iterable[Claimed]) -> None:
        """Give unstarted rows back at once (shutdown)."""
        for item in items:
            await self._update(item, {"claim": None, "lease_until": 0.0}, only_pending=True)

    async def renew(self, tokens: Iterable[str]) -> None:
        """Extend the leases of every pending row claimed under ``tokens``."""
        tokens = list(tokens)
        if not tokens:
            return
        async with self._sessions() as s:
            await s.execute(
                update(Delivery)
                .where(col(Delivery.claim).in_(tokens), col(Delivery.status) == "pending")
                .values(lease_until=self.clock() + self.lease)
            )
            await s.commit()

    async def texts(self, ids: Iterable[int]) -> dict[int, str]:
        """The text of each broadcast."""
        async with self._sessions() as s:
            rows = await s.execute(
                select(col(Broadcast.id), col(Broadcast.text)).where(
                    col(Broadcast.id).in_(list(ids))
                )
            )
            return {int(i): str(t) for i, t in rows.all()}

    async def _update(
        self, item: Claimed, values: dict[str, object], only_pending: bool = False
    ) -> bool:
        """Update one row if it still carries our claim token."""
        where = [col(Delivery.id) == item.id, col(Delivery.claim) == item.claim]
        if only_pending:
            where.append(col(Delivery.status) == "pending")
        async with self._sessions() as s:
            result = await s.execute(update(Delivery).where(*where).values(**values))
            await s.commit()
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]
