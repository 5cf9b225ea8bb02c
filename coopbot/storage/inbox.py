"""The durable inbox: platform updates committed before they are acknowledged, worked off in
order per chat by any process (a port, an in-memory twin and the SQL implementation).

Claiming: a process may take only the FIRST pending row of a chat (platform order, then
arrival), and only while no other
live process holds it (``owner`` until ``lease_until``). So one chat's rows are handled one at
a time and in arrival order across every worker; a killed worker's row is taken over once its
lease ends; a row that waits for a retry (``not_before``) holds its chat back until then.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from coopbot.inbound.envelope import (
    Envelope,
    message_from_json,
    message_json,
    replies_from_json,
    replies_json,
)
from coopbot.messages import IncomingMessage, Reply, UserKey
from coopbot.storage.quarantine import Quarantined, ascii_json, row_values
from coopbot.storage.tables import InboxRow, Quarantine


class LeaseLost(RuntimeError):
    """Another process took the row over (this one was too slow): stop working on it."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this process now works on."""

    id: int
    chat: str
    message: IncomingMessage
    context: dict[str, Any]
    replies: tuple[Reply, ...] | None  # None until the core has answered
    sent: int
    attempts: int


class Inbox(ABC):
    """Durable, ordered, deduplicated intake of platform updates."""

    @abstractmethod
    async def accept(self, env: Envelope) -> bool:
        """Commit the update; False when its dedupe key was seen before (a platform retry)."""

    @abstractmethod
    async def claim(
        self, channel: str, chat: str, owner: str, now: float, lease: float
    ) -> Claimed | None:
        """The chat's first pending row, if no other live process holds it and it is due."""

    @abstractmethod
    async def answered(
        self, item: int, replies: tuple[Reply, ...], owner: str, lease_until: float
    ) -> None:
        """Keep the core's replies (so a restart sends these, not new ones); renew the lease."""

    @abstractmethod
    async def progress(self, item: int, sent: int, owner: str, lease_until: float) -> None:
        """``sent`` replies are out; renew the lease. LeaseLost if another process took over."""

    @abstractmethod
    async def finish(self, item: int) -> None:
        """Done: the message text and replies are dropped, the dedupe key stays a while."""

    @abstractmethod
    async def release(self, item: int, not_before: float, error: str, counted: bool) -> int:
        """Give the row back for a later try; ``counted`` failures lead to quarantine. Returns
        the failures counted so far."""

    @abstractmethod
    async def quarantine(self, item: int, reason: str) -> None:
        """Set the row aside (and keep a copy for staff); it no longer holds its chat back."""

    @abstractmethod
    async def due(self, now: float, limit: int = 500) -> list[tuple[str, str]]:
        """(channel, chat) pairs with a pending row that nobody holds and that is due."""

    @abstractmethod
    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Forget the user's rows (by channel and raw chat id)."""

    @abstractmethod
    async def counts(self) -> dict[str, int]:
        """Rows per status."""


def _error(text: str) -> str:
    """An error text that fits its column."""
    return text[:200]


class MemoryInbox(Inbox):
    """In-memory twin (tests, the terminal chat)."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.quarantined: list[Quarantined] = []
        self._next = 1

    async def accept(self, env: Envelope) -> bool:
        """Insert unless the dedupe key is known."""
        key = (env.channel, env.dedupe)
        if any((r["channel"], r["dedupe"]) == key for r in self.rows.values()):
            return False
        self.rows[self._next] = {
            "channel": env.channel,
            "dedupe": env.dedupe,
            "chat": env.chat,
            "seq": env.seq,
            "status": "pending",
            "message": message_json(env.message),
            "context": dict(env.context),
            "replies": None,
            "sent": 0,
            "owner": None,
            "lease_until": 0.0,
            "not_before": 0.0,
            "attempts": 0,
        }
        self._next += 1
        return True

    async def claim(
        self, channel: str, chat: str, owner: str, now: float, lease: float
    ) -> Claimed | None:
        """The first pending row of the chat under the same rule as SQL."""
        pending = [
            (r["seq"], i)
            for i, r in self.rows.items()
            if r["channel"] == channel and r["chat"] == chat and r["status"] == "pending"
        ]
        if not pending:
            return None
        first = min(pending)[1]
        row = self.rows[first]
        free = row["owner"] in (None, owner) or row["lease_until"] < now
        if not free or row["not_before"] > now:
            return None
        row.update(owner=owner, lease_until=now + lease)
        return _claimed(first, row)

    def _held(self, item: int, owner: str) -> dict[str, Any]:
        """The row, if this owner still holds it."""
        row = self.rows.get(item)
        if row is None or row["owner"] != owner:
            raise LeaseLost(str(item))
        return row

    async def answered(
        self, item: int, replies: tuple[Reply, ...], owner: str, lease_until: float
    ) -> None:
        """Keep the replies."""
        self._held(item, owner).update(replies=replies_json(replies), lease_until=lease_until)

    async def progress(self, item: int, sent: int, owner: str, lease_until: float) -> None:
        """Count sent replies."""
        self._held(item, owner).update(sent=sent, lease_until=lease_until)

    async def finish(self, item: int) -> None:
        """Mark done and drop the content."""
        self.rows[item].update(status="done", message=None, replies=None, context=None)

    async def release(self, item: int, not_before: float, error: str, counted: bool) -> int:
        """Back to pending, unowned."""
        row = self.rows[item]
        row.update(owner=None, not_before=not_before, error=_error(error))
        row["attempts"] += int(counted)
        return int(row["attempts"])

    async def quarantine(self, item: int, reason: str) -> None:
        """Set aside."""
        row = self.rows[item]
        row.update(status="quarantined", owner=None)
        self.quarantined.append(_quarantined(row, reason))

    async def due(self, now: float, limit: int = 500) -> list[tuple[str, str]]:
        """Chats with work nobody holds."""
        found = {
            (r["channel"], r["chat"])
            for r in self.rows.values()
            if r["status"] == "pending"
            and r["not_before"] <= now
            and (r["owner"] is None or r["lease_until"] < now)
        }
        return sorted(found)[:limit]

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Drop the user's rows."""
        mine = [
            i
            for i, r in self.rows.items()
            if r["channel"] == user.channel and r["chat"] == user.user_id
        ]
        for i in mine:
            del self.rows[i]
        return len(mine)

    async def counts(self) -> dict[str, int]:
        """Rows per status."""
        out: dict[str, int] = {}
        for r in self.rows.values():
            out[r["status"]] = out.get(r["status"], 0) + 1
        return out


def _claimed(item: int, row: Any) -> Claimed:
    """A row (mapping) → Claimed."""
    replies = row["replies"]
    return Claimed(
        item,
        str(row["chat"]),
        message_from_json(str(row["channel"]), row["message"]),
        dict(row["context"] or {}),
        replies_from_json(replies) if replies is not None else None,
        int(row["sent"]),
        int(row["attempts"]),
    )


def _quarantined(row: Any, reason: str) -> Quarantined:
    """The staff copy of a quarantined row."""
    data = {"message": row["message"], "attempts": row["attempts"], "error": row["error"]}
    return Quarantined(
        "inbox", reason, ascii_json(data), str(row["channel"]), None, str(row["chat"])
    )


class SqlInbox(Inbox):
    """The ``inbox`` table; every statement is one short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def accept(self, env: Envelope) -> bool:
        """INSERT; a duplicate (channel, dedupe) means the platform retried."""
        values = {
            "channel": env.channel,
            "dedupe": env.dedupe[:64],
            "chat": env.chat[:64],
            "seq": env.seq,
            "status": "pending",
            "message": message_json(env.message),
            "context": dict(env.context),
            "sent": 0,
            "lease_until": 0.0,
            "not_before": 0.0,
            "attempts": 0,
            "created_at": datetime.now(UTC),
        }
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(InboxRow).values(**values))
        except IntegrityError:
            return False
        return True

    async def claim(
        self, channel: str, chat: str, owner: str, now: float, lease: float
    ) -> Claimed | None:
        """One UPDATE … RETURNING on the chat's first pending row (atomic on both databases:
        a concurrent claimer re-checks the owner after the first commits and gets nothing)."""
        first = (
            select(col(InboxRow.id))
            .where(
                col(InboxRow.channel) == channel,
                col(InboxRow.chat) == chat,
                col(InboxRow.status) == "pending",
            )
            .order_by(col(InboxRow.seq), col(InboxRow.id))
            .limit(1)
            .scalar_subquery()
        )
        statement = (
            update(InboxRow)
            .where(
                col(InboxRow.id) == first,
                col(InboxRow.not_before) <= now,
                or_(
                    col(InboxRow.owner).is_(None),
                    col(InboxRow.owner) == owner,
                    col(InboxRow.lease_until) < now,
                ),
            )
            .values(owner=owner, lease_until=now + lease)
            .returning(
                col(InboxRow.id),
                col(InboxRow.channel),
                col(InboxRow.chat),
                col(InboxRow.message),
                col(InboxRow.context),
                col(InboxRow.replies),
                col(InboxRow.sent),
                col(InboxRow.attempts),
            )
        )
        async with self._engine.begin() as conn:
            row = (await conn.execute(statement)).mappings().first()
        return _claimed(int(row["id"]), row) if row is not None else None

    async def _held_update(self, item: int, owner: str, **values: Any) -> None:
        """UPDATE the row if this owner still holds it, else LeaseLost."""
        statement = (
            update(InboxRow)
            .where(col(InboxRow.id) == item, col(InboxRow.owner) == owner)
            .values(**values)
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
        if result.rowcount != 1:
            raise LeaseLost(str(item))

    async def answered(
        self, item: int, replies: tuple[Reply, ...], owner: str, lease_until: float
    ) -> None:
        """Keep the replies and renew the lease."""
        await self._held_update(item, owner, replies=replies_json(replies), lease_until=lease_until)

    async def progress(self, item: int, sent: int, owner: str, lease_until: float) -> None:
        """Count sent replies and renew the lease."""
        await self._held_update(item, owner, sent=sent, lease_until=lease_until)

    async def finish(self, item: int) -> None:
        """Done; the content goes (the dedupe key and times stay until pruned)."""
        statement = (
            update(InboxRow)
            .where(col(InboxRow.id) == item)
            .values(status="done", message=None, replies=None, context=None, owner=None)
        )
        async with self._engine.begin() as conn:
            await conn.execute(statement)

    async def release(self, item: int, not_before: float, error: str, counted: bool) -> int:
        """Back to pending and unowned, after ``not_before``."""
        statement = (
            update(InboxRow)
            .where(col(InboxRow.id) == item)
            .values(
                owner=None,
                not_before=not_before,
                error=_error(error),
                attempts=col(InboxRow.attempts) + int(counted),
            )
            .returning(col(InboxRow.attempts))
        )
        async with self._engine.begin() as conn:
            attempts = (await conn.execute(statement)).scalar_one_or_none()
        return int(attempts or 0)

    async def quarantine(self, item: int, reason: str) -> None:
        """Mark quarantined and copy it for staff, in one transaction."""
        query = select(InboxRow).where(col(InboxRow.id) == item)
        async with self._engine.begin() as conn:
            row = (await conn.execute(query)).mappings().first()
            if row is None:
                return
            await conn.execute(
                update(InboxRow)
                .where(col(InboxRow.id) == item)
                .values(status="quarantined", owner=None)
            )
            await conn.execute(insert(Quarantine).values(**row_values(_quarantined(row, reason))))

    async def due(self, now: float, limit: int = 500) -> list[tuple[str, str]]:
        """Chats whose pending rows nobody holds."""
        query = (
            select(col(InboxRow.channel), col(InboxRow.chat))
            .where(
                col(InboxRow.status) == "pending",
                col(InboxRow.not_before) <= now,
                or_(col(InboxRow.owner).is_(None), col(InboxRow.lease_until) < now),
            )
            .group_by(col(InboxRow.channel), col(InboxRow.chat))
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [(str(a), str(b)) for a, b in (await conn.execute(query)).all()]

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """DELETE the user's rows."""
        statement = delete(InboxRow).where(
            col(InboxRow.channel) == user.channel, col(InboxRow.chat) == user.user_id
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
        return int(result.rowcount or 0)

    async def counts(self) -> dict[str, int]:
        """Rows per status."""
        query = select(col(InboxRow.status), func.count()).group_by(col(InboxRow.status))
        async with self._engine.connect() as conn:
            return {str(s): int(n) for s, n in (await conn.execute(query)).all()}
