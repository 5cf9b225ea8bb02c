"""Channel bookkeeping: which chats are reachable (deduplication lives in the inbox)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from coopbot.messages import UserKey
from coopbot.storage.db import session_factory, upsert
from coopbot.storage.tables import Contact


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
