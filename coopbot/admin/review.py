"""The review queue: questions the bot could not answer well, grouped by similarity."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, or_
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from coopbot.storage.db import session_factory
from coopbot.storage.tables import Inquiry

UNANSWERED = ("not_sure", "out_of_scope")
SIMILAR = 72.0  # token_sort_ratio (0–100) at which two questions count as one
MAX_ROWS = 5000  # newest pending inquiries considered per page load
MAX_IDS = 500  # inquiries one group's action applies to


@dataclass(frozen=True, slots=True)
class Item:
    """One pending inquiry."""

    id: int
    text: str
    normalized: str
    kind: str
    entry_id: str | None
    feedback: int | None
    user_key: str
    created_at: datetime


@dataclass(slots=True)
class Group:
    """Similar pending questions shown as one row."""

    key: str
    items: list[Item] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many times this was asked."""
        return len(self.items)

    @property
    def users(self) -> int:
        """How many different people asked."""
        return len({i.user_key for i in self.items})

    @property
    def text(self) -> str:
        """The most common wording (ties: the newest)."""
        counts = Counter(i.text.strip() for i in self.items)
        return counts.most_common(1)[0][0]

    @property
    def samples(self) -> list[str]:
        """Up to five distinct wordings other than the main one."""
        seen = dict.fromkeys(i.text.strip() for i in self.items)
        return [t for t in seen if t != self.text][:5]

    @property
    def suggested(self) -> str | None:
        """The entry the bot leaned toward most often, if any."""
        ids = Counter(i.entry_id for i in self.items if i.entry_id)
        return ids.most_common(1)[0][0] if ids else None

    @property
    def last_seen(self) -> datetime:
        """When it was last asked."""
        return max(i.created_at for i in self.items)

    @property
    def ids(self) -> list[int]:
        """The inquiries an action on this group applies to."""
        return [i.id for i in self.items][:MAX_IDS]


def group_items(items: list[Item], threshold: float = SIMILAR) -> list[Group]:
    """Greedy leader clustering on the normalised text, most asked first.

    Written by hand: the queue holds at most a few thousand short strings, so one pass of
    rapidfuzz against the current leaders is fast and needs no clustering library. Identical
    texts are merged first, so the pass runs over distinct wordings only."""
    same: dict[str, list[Item]] = {}
    for item in items:
        same.setdefault(item.normalized or item.text.casefold(), []).append(item)
    groups: list[Group] = []
    leaders: list[str] = []
    for key, members in sorted(same.items(), key=lambda kv: -len(kv[1])):
        hit = process.extractOne(key, leaders, scorer=fuzz.token_sort_ratio, score_cutoff=threshold)
        if hit is None:
            groups.append(Group(key, list(members)))
            leaders.append(key)
        else:
            groups[hit[2]].items.extend(members)
    for group in groups:
        group.items.sort(key=lambda i: -i.id)
    return sorted(groups, key=lambda g: (-g.count, -g.last_seen.timestamp()))


class ReviewQueue:
    """Reads pending inquiries: unanswered or unsure (``unanswered``) or voted 👎 (``disliked``)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = session_factory(engine)

    async def unanswered(self, days: int = 90) -> list[Group]:
        """Questions the bot declined or was unsure about, not yet reviewed, grouped."""
        items = await self._pending(col(Inquiry.kind).in_(UNANSWERED), days)
        return await asyncio.to_thread(group_items, items)

    async def disliked(self, days: int = 90) -> list[Group]:
        """Answers users voted 👎, not yet reviewed, grouped."""
        items = await self._pending(col(Inquiry.feedback) == -1, days)
        return await asyncio.to_thread(group_items, items)

    async def _pending(self, cond: ColumnElement[bool], days: int) -> list[Item]:
        """Pending inquiries matching ``cond`` in the last ``days`` days, newest first."""
        since = datetime.now(UTC) - timedelta(days=days)
        query = (
            select(Inquiry)
            .where(cond, col(Inquiry.review).is_(None), col(Inquiry.created_at) >= since)
            .where(or_(col(Inquiry.text).is_not(None), col(Inquiry.normalized).is_not(None)))
            .order_by(col(Inquiry.id).desc())
            .limit(MAX_ROWS)
        )
        async with self.sessions() as s:
            rows = (await s.exec(query)).all()
        return [
            Item(
                r.id or 0,
                r.text or r.normalized or "",
                r.normalized or "",
                r.kind,
                r.entry_id,
                r.feedback,
                r.user_key,
                r.created_at,
            )
            for r in rows
            if (r.text or r.normalized or "").strip()
        ]
