"""Per-chat reply context shared by every worker: Zalo's reply target and numbered options.

Kept in the database, not in process memory, so a user's next message can reach any worker and
still reply for free inside the 48-hour window or resolve "2" to the second listed option.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from coopbot.messages import UserKey
from coopbot.storage.db import session_factory, upsert
from coopbot.storage.tables import ChatContext


@dataclass(frozen=True, slots=True)
class Context:
    """What a worker needs to reply to a chat."""

    reply_msg_id: str | None = None
    reply_at: float = 0.0
    options: tuple[str, ...] = ()


class ChatContextStore(ABC):
    """Port: read and update one chat's context."""

    @abstractmethod
    async def get(self, channel: str, chat_id: str) -> Context:
        """The chat's context (empty when none)."""

    @abstractmethod
    async def update(
        self,
        channel: str,
        chat_id: str,
        reply: tuple[str, float] | None = None,
        options: tuple[str, ...] | None = None,
    ) -> None:
        """Set the reply target and/or the listed options (``()`` clears them)."""

    @abstractmethod
    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Forget the chat (``/xoadulieu``)."""


class MemoryChatContextStore(ChatContextStore):
    """In-memory twin."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Context] = {}

    async def get(self, channel: str, chat_id: str) -> Context:
        """Lookup."""
        return self.rows.get((channel, chat_id), Context())

    async def update(
        self,
        channel: str,
        chat_id: str,
        reply: tuple[str, float] | None = None,
        options: tuple[str, ...] | None = None,
    ) -> None:
        """Merge."""
        old = self.rows.get((channel, chat_id), Context())
        msg_id, at = reply if reply is not None else (old.reply_msg_id, old.reply_at)
        listed = options if options is not None else old.options
        self.rows[(channel, chat_id)] = Context(msg_id, at, listed)

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Drop the row."""
        return int(self.rows.pop((user.channel, user.user_id), None) is not None)


class SqlChatContextStore(ChatContextStore):
    """Rows in ``chat_context``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)

    async def get(self, channel: str, chat_id: str) -> Context:
        """One primary-key read."""
        async with self._sessions() as s:
            row = await s.get(ChatContext, (channel, chat_id))
        if row is None:
            return Context()
        return Context(row.reply_msg_id, row.reply_at, tuple(row.options or ()))

    async def update(
        self,
        channel: str,
        chat_id: str,
        reply: tuple[str, float] | None = None,
        options: tuple[str, ...] | None = None,
    ) -> None:
        """Upsert the chat's row."""

        def change(row: ChatContext, _created: bool) -> bool:
            if reply is not None:
                row.reply_msg_id, row.reply_at = reply
            if options is not None:
                row.options = list(options) or None
            return True

        await upsert(
            self._sessions,
            ChatContext,
            (channel, chat_id),
            lambda: ChatContext(channel=channel, chat_id=chat_id),
            change,
        )

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Delete the chat's row."""
        async with self._sessions() as s:
            result = await s.exec(
                delete(ChatContext).where(
                    col(ChatContext.channel) == user.channel,
                    col(ChatContext.chat_id) == user.user_id,
                )
            )
            await s.commit()
        return int(result.rowcount or 0)
