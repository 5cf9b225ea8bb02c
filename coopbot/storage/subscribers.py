"""Subscriber port: who asked for announcements, their province and topics (memory and SQL)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from coopbot.messages import UserKey
from coopbot.storage.db import session_factory, upsert
from coopbot.storage.tables import Delivery, Subscriber


@dataclass(frozen=True, slots=True)
class Subscription:
    """One subscriber; ``topics`` empty means every topic."""

    channel: str
    chat_id: str
    user_key: str
    province: str | None = None
    topics: tuple[str, ...] = field(default_factory=tuple)
    subscribed: bool = False

    def with_topic_toggled(self, topic: str) -> Subscription:
        """Add the topic, or remove it when already chosen."""
        if topic in self.topics:
            return replace(self, topics=tuple(t for t in self.topics if t != topic))
        return replace(self, topics=(*self.topics, topic))


def pack_topics(topics: tuple[str, ...]) -> str:
    """``("a", "b")`` → ``",a,b,"`` (so ``LIKE '%,a,%'`` finds a topic); () → ""."""
    return f",{','.join(topics)}," if topics else ""


def unpack_topics(value: str) -> tuple[str, ...]:
    """The inverse of ``pack_topics``."""
    return tuple(t for t in value.split(",") if t)


class SubscriberStore(ABC):
    """Subscriptions, keyed by (channel, chat id)."""

    @abstractmethod
    async def get(self, channel: str, chat_id: str) -> Subscription | None:
        """The subscription, or None."""

    @abstractmethod
    async def save(self, item: Subscription) -> None:
        """Insert or replace."""

    @abstractmethod
    async def erase(self, user_key: str) -> int:
        """Forget every subscription of a user (erasure on request); how many rows went."""

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """The ``Erasable`` form of ``erase`` (``/xoadulieu``)."""
        return await self.erase(user_key)


class MemorySubscriberStore(SubscriberStore):
    """In-memory twin."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Subscription] = {}

    async def get(self, channel: str, chat_id: str) -> Subscription | None:
        """Get."""
        return self.rows.get((channel, chat_id))

    async def save(self, item: Subscription) -> None:
        """Put."""
        self.rows[(item.channel, item.chat_id)] = item

    async def erase(self, user_key: str) -> int:
        """Drop the user's rows."""
        gone = [k for k, v in self.rows.items() if v.user_key == user_key]
        for k in gone:
            del self.rows[k]
        return len(gone)


class SqlSubscriberStore(SubscriberStore):
    """Rows in ``subscriber``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)

    async def get(self, channel: str, chat_id: str) -> Subscription | None:
        """Get."""
        async with self._sessions() as s:
            row = await s.get(Subscriber, (channel, chat_id))
            if row is None:
                return None
            return Subscription(
                row.channel,
                row.chat_id,
                row.user_key,
                row.province,
                unpack_topics(row.topics),
                row.subscribed,
            )

    async def save(self, item: Subscription) -> None:
        """Upsert the subscriber's row."""

        def change(row: Subscriber, _created: bool) -> bool:
            row.user_key, row.province = item.user_key, item.province
            row.topics, row.subscribed = pack_topics(item.topics), item.subscribed
            row.updated_at = datetime.now(UTC)
            return True

        await upsert(
            self._sessions,
            Subscriber,
            (item.channel, item.chat_id),
            lambda: Subscriber(channel=item.channel, chat_id=item.chat_id, user_key=""),
            change,
        )

    async def erase(self, user_key: str) -> int:
        """Delete the user's rows."""
        async with self._sessions() as s:
            result = await s.exec(delete(Subscriber).where(col(Subscriber.user_key) == user_key))
            await s.commit()
            return int(result.rowcount or 0)

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Subscriptions, and the raw id on past announcements' delivery rows."""
        removed = await self.erase(user_key)
        async with self._sessions() as s:
            result = await s.exec(
                delete(Delivery).where(
                    col(Delivery.channel) == user.channel, col(Delivery.chat_id) == user.user_id
                )
            )
            await s.commit()
        return removed + int(result.rowcount or 0)
