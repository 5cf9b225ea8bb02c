"""The review queue: questions the bot could not answer well, grouped by similarity; and a
sample of confident answers whose best two entries scored close, for a quick staff check."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, or_
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from coopbot.payloads import OpenEntry, unpack
from coopbot.storage.db import session_factory
from coopbot.storage.tables import Inquiry

UNANSWERED = ("not_sure", "out_of_scope")
SIMILAR = 72.0  # token_sort_ratio (0–100) at which two questions count as one
MAX_ROWS = 5000  # newest pending inquiries considered per page load
MAX_IDS = 500  # inquiries one group's action applies to
# A confident answer whose runner-up scored within this much of it is worth a staff check. The
# margin is a gap of selection scores (logits): on the confident answers to the realistic and
# held-out sets its 5th percentile is 1.0, 10th 1.6, median 3.5 — 1.5 asks staff to check about
# the closest tenth.
CLOSE_MARGIN = 1.5
CHECKS_SHOWN = 20  # checks offered per page load


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

    @property
    def pressed(self) -> str | None:
        """The entry a button press opened (its text is the payload), None for typed text."""
        if self.kind not in ("button", "faq"):
            return None
        press = unpack(self.text)
        if isinstance(press, OpenEntry):  # also rows logged as "faq" before presses had a kind
            return press.entry
        return self.entry_id if self.kind == "button" else None


@dataclass(slots=True)
class Group:
    """Similar pending questions shown as one row."""

    key: str
    items: list[Item] = field(default_factory=list)

    @property
    def anchor(self) -> int:
        """The oldest inquiry: names the group across page loads (new askers join it)."""
        return min(i.id for i in self.items)

    @property
    def pressed(self) -> str | None:
        """The entry, when the group is answers opened by a button (nothing was typed)."""
        return self.items[0].pressed

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
        pressed = item.pressed
        key = f"\x00{pressed}" if pressed else item.normalized or item.text.casefold()
        same.setdefault(key, []).append(item)
    groups: list[Group] = []
    leaders: list[str] = []
    for key, members in sorted(same.items(), key=lambda kv: -len(kv[1])):
        if key.startswith("\x00"):  # presses of one button: never mixed with typed questions
            groups.append(Group(key, list(members)))
            continue
        hit = process.extractOne(key, leaders, scorer=fuzz.token_sort_ratio, score_cutoff=threshold)
        if hit is None:
            groups.append(Group(key, list(members)))
            leaders.append(key)
        else:
            groups[hit[2]].items.extend(members)
    for group in groups:
        group.items.sort(key=lambda i: -i.id)
    return sorted(groups, key=lambda g: (-g.count, -g.last_seen.timestamp()))


@dataclass(frozen=True, slots=True)
class Check:
    """A confident answer to re-check: the question, the entry given and the close runner-up."""

    ids: tuple[int, ...]  # every pending inquiry with this question and answer
    text: str
    entry_id: str
    runner_up: str | None
    margin: float
    created_at: datetime


def _chatter_free(items: list[Item], chatter: Callable[[str], bool]) -> tuple[list[Item], ...]:
    """Split off greetings, thanks and commands (``chatter``): they are never questions."""
    questions = [i for i in items if i.pressed or not chatter(i.text)]
    ids = {i.id for i in questions}
    return questions, [i for i in items if i.id not in ids]


class ReviewQueue:
    """Reads pending inquiries: unanswered or unsure (``unanswered``), voted 👎 (``disliked``),
    small talk that slipped through (``chatter``) and close calls to check (``checks``)."""

    def __init__(self, engine: AsyncEngine, chatter: Callable[[str], bool] | None = None) -> None:
        self.sessions = session_factory(engine)
        self.chatter = chatter or _is_command

    async def unanswered(self, days: int = 90) -> list[Group]:
        """Questions the bot declined or was unsure about, not yet reviewed, grouped."""
        items = await self._pending(col(Inquiry.kind).in_(UNANSWERED), days)
        questions, _ = _chatter_free(items, self.chatter)
        return await asyncio.to_thread(group_items, questions)

    async def chatter_groups(self, days: int = 90) -> list[Group]:
        """Greetings, thanks and commands logged as unanswered: shown apart, only to dismiss."""
        items = await self._pending(col(Inquiry.kind).in_(UNANSWERED), days)
        _, chatter = _chatter_free(items, self.chatter)
        return await asyncio.to_thread(group_items, chatter)

    async def disliked(self, days: int = 90) -> list[Group]:
        """Answers users voted 👎, not yet reviewed, grouped (button presses by their entry)."""
        items = await self._pending(col(Inquiry.feedback) == -1, days)
        return await asyncio.to_thread(group_items, items)

    async def checks(self, days: int = 90, limit: int = CHECKS_SHOWN) -> list[Check]:
        """Newest confident answers whose runner-up scored within CLOSE_MARGIN, not yet
        checked, voted 👎 or reviewed; one per question and entry."""
        since = datetime.now(UTC) - timedelta(days=days)
        query = (
            select(Inquiry)
            .where(col(Inquiry.kind) == "faq", col(Inquiry.confident))
            .where(col(Inquiry.margin).is_not(None), col(Inquiry.margin) <= CLOSE_MARGIN)
            .where(col(Inquiry.verdict).is_(None), col(Inquiry.review).is_(None))
            .where(or_(col(Inquiry.feedback).is_(None), col(Inquiry.feedback) != -1))
            .where(col(Inquiry.text).is_not(None), col(Inquiry.created_at) >= since)
            .order_by(col(Inquiry.id).desc())
            .limit(MAX_ROWS)
        )
        async with self.sessions() as s:
            rows = (await s.exec(query)).all()
        same: dict[tuple[str, str], list[Inquiry]] = {}
        for r in rows:
            key = ((r.normalized or r.text or "").casefold(), r.entry_id or "")
            same.setdefault(key, []).append(r)
        checks = [
            Check(
                tuple(r.id or 0 for r in group)[:MAX_IDS],
                (group[0].text or "").strip(),
                group[0].entry_id or "",
                group[0].runner_up,
                float(group[0].margin or 0.0),
                group[0].created_at,
            )
            for group in same.values()
            if (group[0].text or "").strip()
        ]
        return checks[:limit]

    async def verdicts(self) -> AsyncIterator[dict[str, Any]]:
        """Every staff verdict whose question text is still kept, oldest first, as the
        calibration script reads them: ``{"q", "entry_id", "right", "runner_up"}``."""
        query = (
            select(Inquiry)
            .where(col(Inquiry.verdict).is_not(None), col(Inquiry.text).is_not(None))
            .order_by(col(Inquiry.id))
        )
        async with self.sessions() as s:
            result = await s.stream_scalars(query)
            async for partition in result.partitions(500):
                for r in partition:
                    yield {
                        "q": r.text,
                        "entry_id": r.entry_id,
                        "right": bool(r.verdict),
                        "runner_up": r.runner_up,
                    }

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


def _is_command(text: str) -> bool:
    """A slash command (the default test for chatter when no small-talk detector is given)."""
    return text.lstrip().startswith("/")
