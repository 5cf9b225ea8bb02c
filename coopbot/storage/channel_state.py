"""Channel bookkeeping: which chats are reachable (deduplication lives in the inbox)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from coopbot.messages import UserKey
from coopbot.storage.db import session_factory
from coopbot.storage.driver import Driver
from coopbot.storage.tables import Contact

SET_ACTIVE = """
    INSERT INTO contact (channel, chat_id, active, updated_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (channel, chat_id) DO UPDATE
    SET active = excluded.active, updated_at = excluded.updated_at
    WHERE contact.active <> excluded.active
"""


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
        self._db = Driver(engine)
        self._upsert = self._db.sql(SET_ACTIVE)
        self._updated_at = self._db.binder(Contact, "updated_at")

    async def set_active(self, channel: str, chat_id: str, active: bool) -> None:
        """One upsert (the first message of every chat runs it); nothing is written when an
        existing row already says so."""
        now = self._updated_at(datetime.now(UTC))
        await self._db.fetch(self._upsert, channel, chat_id, active, now)

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
