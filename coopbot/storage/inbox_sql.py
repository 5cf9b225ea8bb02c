"""The inbox in SQL (table ``inbox``; SQLite and PostgreSQL).

The statements every update runs (accept, claim, answered, progress, finish) are fixed SQL on
the driver connection (``storage.driver``); the rare ones (release, quarantine, the sweep,
erasure, counts) are SQLAlchemy Core. Every statement is one short transaction.

Ordering rests on two things. Claims change one row chosen as the chat's held row, else its
first pending row, and re-check it after any wait (PostgreSQL locks the candidate, so a claim
that waited for a finishing row goes on to the next one). And the unique index ``uq_inbox_held``
allows one held pending row per chat: two processes that each accept a new row of an idle chat
at the same moment cannot both hold theirs (the second commits it unheld instead).
"""

from __future__ import annotations

import json
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
from coopbot.messages import Reply, UserKey
from coopbot.storage.driver import Driver
from coopbot.storage.inbox import (
    Accepted,
    Claimed,
    Inbox,
    LeaseLost,
    error_text,
    quarantined_copy,
)
from coopbot.storage.quarantine import row_values
from coopbot.storage.tables import InboxRow, Quarantine

_IDLE = (  # the casts give PostgreSQL one type per parameter (the columns' own)
    "NOT EXISTS (SELECT 1 FROM inbox WHERE channel = CAST($1 AS VARCHAR) "
    "AND chat = CAST($3 AS VARCHAR) AND status = 'pending')"
)
ACCEPT = f"""
    INSERT INTO inbox (channel, dedupe, chat, seq, status, message, context, sent, owner,
                       lease_until, not_before, attempts, created_at)
    VALUES ($1, $2, $3, $4, 'pending', $5, $6, 0,
            CASE WHEN {_IDLE} THEN CAST($7 AS VARCHAR(32)) ELSE NULL END,
            CASE WHEN {_IDLE} THEN CAST($8 AS DOUBLE PRECISION) ELSE 0.0 END,
            0.0, 0, $9)
    ON CONFLICT (channel, dedupe) DO NOTHING
    RETURNING id, owner
"""
CLAIM = """
    UPDATE inbox SET owner = $3, lease_until = $5
    WHERE id = (SELECT id FROM inbox WHERE channel = $1 AND chat = $2 AND status = 'pending'
                ORDER BY owner IS NULL, seq, id LIMIT 1 {lock})
      AND status = 'pending' AND not_before <= $4
      AND (owner IS NULL OR owner = $3 OR lease_until < $4)
    RETURNING id, channel, chat, message, context, replies, sent, attempts
"""
ANSWERED = (
    "UPDATE inbox SET replies = $1, lease_until = $2 WHERE id = $3 AND owner = $4 RETURNING id"
)
PROGRESS = "UPDATE inbox SET sent = $1, lease_until = $2 WHERE id = $3 AND owner = $4 RETURNING id"
FINISH = """
    UPDATE inbox SET status = 'done', message = NULL, context = NULL, replies = NULL, owner = NULL
    WHERE id = $1
    RETURNING EXISTS (SELECT 1 FROM inbox AS other WHERE other.channel = inbox.channel
                      AND other.chat = inbox.chat AND other.status = 'pending'
                      AND other.id <> inbox.id)
"""


class SqlInbox(Inbox):
    """The ``inbox`` table."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._db = db = Driver(engine)
        lock = "" if db.sqlite else "FOR UPDATE"
        self._sql = {
            "accept": db.sql(ACCEPT),
            "claim": db.sql(CLAIM.format(lock=lock)),
            "answered": db.sql(ANSWERED),
            "progress": db.sql(PROGRESS),
            "finish": db.sql(FINISH),
        }
        self._created_at = db.binder(InboxRow, "created_at")

    async def accept_and_claim(
        self, env: Envelope, owner: str | None, now: float, lease: float
    ) -> Accepted:
        """One INSERT: nothing on a duplicate (channel, dedupe), held by ``owner`` when the chat
        has no pending row. Losing the race to hold an idle chat commits the row unheld."""
        message, context = message_json(env.message), json.dumps(dict(env.context))
        values = [env.channel, env.dedupe[:64], env.chat[:64], env.seq, json.dumps(message)]
        values += [context, owner, float(now + lease), self._created_at(datetime.now(UTC))]
        try:
            rows = await self._db.fetch(self._sql["accept"], *values)
        except IntegrityError:  # uq_inbox_held: another process holds a row it just accepted
            if owner is None:
                raise
            values[6:8] = [None, 0.0]
            rows = await self._db.fetch(self._sql["accept"], *values)
        if not rows:
            return Accepted(False)
        item, held = int(rows[0][0]), rows[0][1]
        if owner is None or held != owner:
            return Accepted(True)
        msg = message_from_json(env.channel, message)
        return Accepted(True, Claimed(item, env.chat[:64], msg, json.loads(context), None, 0, 0))

    async def claim(
        self, channel: str, chat: str, owner: str, now: float, lease: float
    ) -> Claimed | None:
        """One UPDATE … RETURNING on the chat's held row, else its first pending row."""
        try:
            rows = await self._db.fetch(
                self._sql["claim"], channel, chat, owner, float(now), float(now + lease)
            )
        except IntegrityError:  # uq_inbox_held: another process holds a newer row of the chat
            return None
        return self._claimed(rows[0]) if rows else None

    def _claimed(self, row: Any) -> Claimed:
        """A claimed row (id, channel, chat, message, context, replies, sent, attempts)."""
        item, channel, chat, message, context, replies, sent, attempts = row
        replies = self._db.from_json(replies)
        return Claimed(
            int(item),
            str(chat),
            message_from_json(str(channel), self._db.from_json(message)),
            dict(self._db.from_json(context) or {}),
            replies_from_json(replies) if replies is not None else None,
            int(sent),
            int(attempts),
        )

    async def answered(
        self, item: int, replies: tuple[Reply, ...], owner: str, lease_until: float
    ) -> None:
        """Keep the replies and renew the lease; LeaseLost if another process holds the row."""
        replies_text = self._db.json(replies_json(replies))
        await self._held(self._sql["answered"], replies_text, float(lease_until), item, owner)

    async def progress(self, item: int, sent: int, owner: str, lease_until: float) -> None:
        """Count sent replies and renew the lease; LeaseLost if another process holds the row."""
        await self._held(self._sql["progress"], sent, float(lease_until), item, owner)

    async def _held(self, sql: str, *args: Any) -> None:
        """An UPDATE of a row this process must still hold."""
        if not await self._db.fetch(sql, *args):
            raise LeaseLost(str(args[2]))

    async def finish(self, item: int) -> bool:
        """Done; the content goes (the dedupe key and times stay until pruned). Whether the chat
        has other pending rows, from the same statement."""
        rows = await self._db.fetch(self._sql["finish"], item)
        return bool(rows and rows[0][0])

    async def release(self, item: int, not_before: float, error: str, counted: bool) -> int:
        """Back to pending and unowned, after ``not_before``."""
        statement = (
            update(InboxRow)
            .where(col(InboxRow.id) == item)
            .values(
                owner=None,
                not_before=not_before,
                error=error_text(error),
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
            await conn.execute(
                insert(Quarantine).values(**row_values(quarantined_copy(row, reason)))
            )

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
