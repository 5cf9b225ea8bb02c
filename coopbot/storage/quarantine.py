"""Quarantine: items that kept failing, set aside so they block nothing, listed for staff."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from coopbot.messages import UserKey
from coopbot.storage.tables import Quarantine

MAX_DATA = 20_000


@dataclass(frozen=True, slots=True)
class Quarantined:
    """One item set aside: where it came from, why, and its data as ASCII JSON."""

    source: str  # inquiry | inbox
    reason: str
    data: str
    channel: str = ""
    user_key: str | None = None
    chat: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int = 0


def ascii_json(data: Any) -> str:
    """JSON that any database stores: lone surrogates and NULs become escapes."""
    return json.dumps(data, ensure_ascii=True, default=str)[:MAX_DATA]


def row_values(item: Quarantined) -> dict[str, Any]:
    """Column values of a quarantine row."""
    return {
        "created_at": item.created_at,
        "source": item.source,
        "channel": item.channel[:16],
        "user_key": item.user_key,
        "chat": item.chat,
        "reason": item.reason[:200],
        "data": item.data[:MAX_DATA],
    }


class QuarantineStore(ABC):
    """Where quarantined items are kept for staff."""

    @abstractmethod
    async def add(self, item: Quarantined) -> None:
        """Keep one item."""

    @abstractmethod
    async def recent(self, limit: int = 100) -> list[Quarantined]:
        """Newest first."""

    @abstractmethod
    async def count(self) -> int:
        """How many items are kept."""

    @abstractmethod
    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Forget the user's items (by pseudonym, or by raw chat id for inbox items)."""


class MemoryQuarantineStore(QuarantineStore):
    """In-memory twin."""

    def __init__(self) -> None:
        self.items: list[Quarantined] = []

    async def add(self, item: Quarantined) -> None:
        """Append."""
        self.items.append(item)

    async def recent(self, limit: int = 100) -> list[Quarantined]:
        """Newest first."""
        return list(reversed(self.items[-limit:]))

    async def count(self) -> int:
        """Length."""
        return len(self.items)

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Drop the user's items."""
        before = len(self.items)
        self.items = [i for i in self.items if not _owned(i, user, user_key)]
        return before - len(self.items)


def _owned(item: Quarantined, user: UserKey, user_key: str) -> bool:
    """The item belongs to the user."""
    by_chat = item.channel == user.channel and item.chat == user.user_id
    return item.user_key == user_key or by_chat


class SqlQuarantineStore(QuarantineStore):
    """Rows in ``quarantine``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, item: Quarantined) -> None:
        """INSERT."""
        async with self._engine.begin() as conn:
            await conn.execute(insert(Quarantine).values(**row_values(item)))

    async def recent(self, limit: int = 100) -> list[Quarantined]:
        """Newest first."""
        query = select(Quarantine).order_by(col(Quarantine.id).desc()).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [
            Quarantined(
                r["source"],
                r["reason"],
                r["data"],
                r["channel"],
                r["user_key"],
                r["chat"],
                r["created_at"],
                r["id"],
            )
            for r in rows
        ]

    async def count(self) -> int:
        """SELECT count."""
        async with self._engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(Quarantine))).scalar_one()
            )

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """DELETE the user's rows."""
        by_chat = (col(Quarantine.channel) == user.channel) & (col(Quarantine.chat) == user.user_id)
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(Quarantine).where(or_(col(Quarantine.user_key) == user_key, by_chat))
            )
        return int(result.rowcount or 0)
