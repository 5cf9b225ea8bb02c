"""The broadcast service the CLI, ``/thongbao`` and the staff web call (see the package doc)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import and_, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.sql import Select
from sqlmodel import col

from coopbot.broadcast.model import (
    CHANNELS,
    AudienceFilter,
    BroadcastError,
    Preview,
    Status,
    Summary,
)
from coopbot.storage.tables import Broadcast, Contact, Delivery, Subscriber

MAX_TEXT = 3500  # leaves room for the footer within Telegram's 4,096 characters


def _audience(audience: AudienceFilter) -> Select[tuple[str, str]]:
    """Subscribed chats matching the filter, minus contacts known to be blocked/unfollowed."""
    s, c = Subscriber, Contact
    query = (
        select(col(s.channel), col(s.chat_id))
        .outerjoin(c, and_(col(c.channel) == col(s.channel), col(c.chat_id) == col(s.chat_id)))
        .where(col(s.subscribed).is_(True), or_(col(c.active).is_(None), col(c.active).is_(True)))
        .where(col(s.channel).in_(CHANNELS))
    )
    if audience.channel:
        query = query.where(col(s.channel) == audience.channel)
    if audience.province:
        query = query.where(col(s.province) == audience.province)
    if audience.topic:
        query = query.where(or_(col(s.topics) == "", col(s.topics).like(f"%,{audience.topic},%")))
    return query


class Broadcasts:
    """Preview, create (queue), status, list and cancel announcements."""

    def __init__(self, engine: AsyncEngine, clock: Callable[[], float] = time.time) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.clock = clock

    async def preview(self, audience: AudienceFilter) -> Preview:
        """How many subscribers the filter reaches, per channel."""
        sub = _audience(audience).subquery()
        async with self._sessions() as s:
            rows = await s.execute(select(sub.c.channel, func.count()).group_by(sub.c.channel))
            by_channel = {str(ch): int(n) for ch, n in rows.all()}
        return Preview(sum(by_channel.values()), by_channel, by_channel.get("zalo", 0))

    async def create(
        self,
        text: str,
        audience: AudienceFilter,
        created_by: str,
        scheduled_at: datetime | None = None,
    ) -> int:
        """Queue an announcement: one delivery row per recipient now; sent from
        ``scheduled_at`` (aware datetime) or at once. Returns the broadcast id."""
        draft = await self.draft(text, audience, created_by)
        await self.queue(draft, scheduled_at)
        return draft

    async def draft(self, text: str, audience: AudienceFilter, created_by: str) -> int:
        """Store an unsent announcement (``/thongbao`` edits its filters before queueing)."""
        text = text.strip()
        if not text:
            raise BroadcastError("the announcement text is empty")
        if len(text) > MAX_TEXT:
            raise BroadcastError(f"the announcement is longer than {MAX_TEXT} characters")
        if audience.channel is not None and audience.channel not in CHANNELS:
            raise BroadcastError(f"unknown channel '{audience.channel}'")
        row = Broadcast(
            created_by=created_by[:64],
            text=text,
            channel=audience.channel,
            province=audience.province,
            topic=audience.topic,
        )
        async with self._sessions() as s:
            s.add(row)
            await s.commit()
            return int(row.id or 0)

    async def set_audience(self, broadcast_id: int, audience: AudienceFilter) -> bool:
        """Change a draft's filters."""
        values = {"channel": audience.channel, "province": audience.province}
        return await self._set(broadcast_id, {**values, "topic": audience.topic}, "draft")

    async def queue(self, broadcast_id: int, scheduled_at: datetime | None = None) -> int:
        """Turn a draft into deliveries (once); the number of recipients."""
        due = scheduled_at.timestamp() if scheduled_at else 0.0
        async with self._sessions() as s:
            row = await s.get(Broadcast, broadcast_id, with_for_update=True)
            if row is None or row.state != "draft":
                raise BroadcastError(f"broadcast {broadcast_id} is not a draft")
            audience = AudienceFilter(row.channel, row.province, row.topic)
            recipients = _audience(audience).subquery()
            await s.execute(
                insert(Delivery).from_select(
                    [
                        "broadcast_id",
                        "channel",
                        "chat_id",
                        "status",
                        "due_at",
                        "lease_until",
                        "attempts",
                    ],
                    select(
                        literal(broadcast_id),
                        recipients.c.channel,
                        recipients.c.chat_id,
                        literal("pending"),
                        literal(due),
                        literal(0.0),
                        literal(0),
                    ),
                )
            )
            total = await s.scalar(
                select(func.count()).where(col(Delivery.broadcast_id) == broadcast_id)
            )
            row.total, row.state = int(total or 0), "queued"
            row.scheduled_at, row.queued_at = scheduled_at, datetime.now(UTC)
            await s.commit()
            return row.total

    async def status(self, broadcast_id: int) -> Status:
        """Counts by delivery status, and the broadcast's state."""
        async with self._sessions() as s:
            row = await s.get(Broadcast, broadcast_id)
            if row is None:
                raise BroadcastError(f"no broadcast {broadcast_id}")
            counts = await s.execute(
                select(col(Delivery.status), func.count())
                .where(col(Delivery.broadcast_id) == broadcast_id)
                .group_by(col(Delivery.status))
            )
            by = {str(k): int(n) for k, n in counts.all()}
        return self._status(row, by)

    def _status(self, row: Broadcast, by: dict[str, int]) -> Status:
        """Derive the displayed state from the stored one and the counts."""
        pending = by.get("pending", 0)
        done = sum(by.get(k, 0) for k in ("sent", "failed", "blocked"))
        state = row.state
        if state == "queued":
            if row.scheduled_at and row.scheduled_at.timestamp() > self.clock():
                state = "scheduled"
            elif pending == 0:
                state = "done"
            elif done:
                state = "sending"
        return Status(
            row.total,
            by.get("sent", 0),
            by.get("failed", 0),
            by.get("blocked", 0),
            pending,
            state,
            by.get("cancelled", 0),
        )

    async def list(self, limit: int = 50) -> list[Summary]:
        """Newest first."""
        async with self._sessions() as s:
            rows = (
                (await s.execute(select(Broadcast).order_by(col(Broadcast.id).desc()).limit(limit)))
                .scalars()
                .all()
            )
            ids = [r.id for r in rows]
            counts = await s.execute(
                select(col(Delivery.broadcast_id), col(Delivery.status), func.count())
                .where(col(Delivery.broadcast_id).in_(ids))
                .group_by(col(Delivery.broadcast_id), col(Delivery.status))
            )
            by: dict[int, dict[str, int]] = {}
            for bid, st, n in counts.all():
                by.setdefault(int(bid), {})[str(st)] = int(n)
        return [
            Summary(
                int(r.id or 0),
                r.created_at,
                r.created_by,
                r.text,
                AudienceFilter(r.channel, r.province, r.topic),
                r.scheduled_at,
                self._status(r, by.get(int(r.id or 0), {})),
            )
            for r in rows
        ]

    async def text(self, broadcast_id: int) -> tuple[str, AudienceFilter]:
        """A broadcast's text and filters."""
        async with self._sessions() as s:
            row = await s.get(Broadcast, broadcast_id)
            if row is None:
                raise BroadcastError(f"no broadcast {broadcast_id}")
            return row.text, AudienceFilter(row.channel, row.province, row.topic)

    async def cancel(self, broadcast_id: int) -> bool:
        """Stop a draft or queued broadcast: pending deliveries become cancelled."""
        if not await self._set(broadcast_id, {"state": "cancelled"}, "draft", "queued"):
            return False
        async with self._sessions() as s:
            await s.execute(
                update(Delivery)
                .where(
                    col(Delivery.broadcast_id) == broadcast_id, col(Delivery.status) == "pending"
                )
                .values(status="cancelled")
            )
            await s.commit()
        return True

    async def _set(self, broadcast_id: int, values: dict[str, object], *states: str) -> bool:
        """Update a broadcast that is in one of ``states``."""
        async with self._sessions() as s:
            result = await s.execute(
                update(Broadcast)
                .where(col(Broadcast.id) == broadcast_id, col(Broadcast.state).in_(states))
                .values(**values)
            )
            await s.commit()
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]
