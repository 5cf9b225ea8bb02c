"""Channel bookkeeping: which updates were already handled, which chats are reachable."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from coopbot.messages import UserKey
from coopbot.storage.db import session_factory, upsert
from coopbot.storage.tables import Contact, ProcessedUpdate


class DedupStore(ABC):
    """Remembers update ids so a replayed or retried update is handled once."""

    @abstractmethod
    async def first_time(self, channel: str, key: str) -> bool:
        """True the first time ``(channel, key)`` is seen, False after."""

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Forget keys that embed the user's raw id (Zalo events without a msg_id)."""
        return 0


class MemoryDedupStore(DedupStore):
    """In-memory twin (bounded)."""

    def __init__(self, limit: int = 100_000) -> None:
        self._seen: dict[tuple[str, str], None] = {}
        self._limit = limit

    async def first_time(self, channel: str, key: str) -> bool:
        """Insert-if-absent."""
        if (channel, key) in self._seen:
            return False
        self._seen[(channel, key)] = None
        if len(self._seen) > self._limit:
            self._seen.pop(next(iter(self._seen)))
        return True


class SqlDedupStore(DedupStore):
    """A primary key on (channel, key): the database decides, across processes."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def first_time(self, channel: str, key: str) -> bool:
        """Insert (one plain statement per update); a duplicate key means it was seen."""
        row = {"channel": channel, "key": key, "created_at": datetime.now(UTC)}
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(ProcessedUpdate).values(**row))
        except IntegrityError:
            return False
        return True

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """DELETE ``event:user_id:timestamp`` keys of the user's channel."""
        raw = user.user_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%:{raw}:%"
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(ProcessedUpdate).where(
                    col(ProcessedUpdate.channel) == user.channel,
                    col(ProcessedUpdate.key).like(pattern, escape="\\"),
                )
            )
        return int(result.rowcount or 0)


class ContactStore(ABC):
    """Reachability of chats."""

    @abstractmethod
    async def set_active(self, channel: str, chat_id: str, active: bool) -> None:
        """Record that a chat can (or can no longer) be messaged."""

    @abstractmethod
    async def is_active(self, channel: str, chat_id: str) -> bool | None:
        """None when unknown."""

    @abstractmethod
    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Forget the user's raw chat id; rows removed."""


class MemoryContactStore(ContactStore):
    """In-memory twin."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], bool] = {}

    async def set_active(self, channel: str, chat_id: str, active: bool) -> None:
        """Set."""
        self.rows[(channel, chat_id)] = active

    async def is_active(self, channel: str, chat_id: str) -> bool | None:
        """Get."""
        return self.rows.get((channel, chat_id))

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Drop the row."""
        return int(self.rows.pop((user.channel, user.user_id), None) is not None)


class SqlContactStore(ContactStore):
    """Rows in ``contact``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)

    async def set_active(self, channel: str, chat_id: str, active: bool) -> None:
        """Upsert; nothing is written when an existing row already says so."""

        def change(row: Contact, created: bool) -> bool:
            if not created and row.active == active:
                return False
            row.active, row.updated_at = active, datetime.now(UTC)
            return True

        await upsert(
            self._sessions,
            Contact,
            (channel, chat_id),
            lambda: Contact(channel=channel, chat_id=chat_id, active=active),
            change,
        )

    async def is_active(self, channel: str, chat_id: str) -> bool | None:
        """Get."""
        async with self._sessions() as s:
            row = await s.get(Contact, (channel, chat_id))
            return row.active if row else None

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """DELETE the row."""
        async with self._sessions() as s:
            result = await s.exec(
                delete(Contact).where(
                    col(Contact.channel) == user.channel, col(Contact.chat_id) == user.user_id
                )
            )
            await s.commit()
            return int(result.rowcount or 0)
