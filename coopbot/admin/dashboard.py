"""Figures for the staff dashboard, computed in the database over a period of days."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from coopbot.admin.labels import LOCAL, QUESTION_KINDS, outcome_label
from coopbot.storage.db import session_factory
from coopbot.storage.tables import Assessment, Inquiry, Subscriber

# One definition of a question everywhere on the dashboard: a message typed to the FAQ search
# (kinds faq, not_sure, out_of_scope): no /start, questionnaire answer, button press or small talk.


@dataclass(frozen=True, slots=True)
class Day:
    """Questions on one Vietnam calendar day."""

    day: date
    total: int
    confident: int


@dataclass(slots=True)
class Figures:
    """Everything the dashboard shows."""

    days: list[Day]
    by_channel: dict[str, int]
    by_province: dict[str, int]
    questions: int
    confident: int
    top_entries: list[tuple[str, int]]
    votes_up: int
    votes_down: int
    disliked_entries: list[tuple[str, int, int]]  # entry, 👍, 👎
    assessments: dict[str, Counter[str]] = field(default_factory=dict)
    answered_down: int = 0  # answered questions voted 👎
    checked_right: int = 0  # confident answers staff checked and found right
    checked_wrong: int = 0

    @property
    def down_share(self) -> float:
        """Share of answered questions voted 👎 (0 when none)."""
        return self.answered_down / self.confident if self.confident else 0.0

    @property
    def checked(self) -> int:
        """Confident answers staff have checked."""
        return self.checked_right + self.checked_wrong

    @property
    def peak(self) -> int:
        """The busiest day's count (at least 1, for chart scaling)."""
        return max([d.total for d in self.days] + [1])


class Dashboard:
    """Aggregate queries over inquiries, votes and assessments."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)

    def _local_day(self) -> ColumnElement[Any]:
        """The Vietnam calendar day of an inquiry, on either backend."""
        if self.engine.dialect.name == "sqlite":
            return func.date(col(Inquiry.created_at), "+7 hours")
        return func.date(func.timezone("Asia/Ho_Chi_Minh", col(Inquiry.created_at)))

    async def figures(
        self, days: int = 30, now: datetime | None = None, flows: Mapping[str, Any] | None = None
    ) -> Figures:
        """All figures for the last ``days`` days (Vietnam time); ``flows`` name the grades."""
        now = now or datetime.now(UTC)
        first = now.astimezone(LOCAL).date() - timedelta(days=days - 1)
        since = datetime.combine(first, datetime.min.time(), LOCAL).astimezone(UTC)
        asked = col(Inquiry.kind).in_(QUESTION_KINDS)
        conf = func.sum(case((col(Inquiry.confident), 1), else_=0)).cast(Integer)
        recent = col(Inquiry.created_at) >= since
        day = self._local_day()
        async with self.sessions() as s:
            per_day = (
                await s.exec(select(day, func.count(), conf).where(recent, asked).group_by(day))
            ).all()
            channels = (
                await s.exec(
                    select(Inquiry.channel, func.count())
                    .where(recent, asked)
                    .group_by(Inquiry.channel)
                )
            ).all()
            top = (
                await s.exec(
                    select(Inquiry.entry_id, func.count())
                    .where(recent, asked, col(Inquiry.confident))
                    .where(col(Inquiry.entry_id).is_not(None))
                    .group_by(Inquiry.entry_id)
                    .order_by(func.count().desc())
                    .limit(10)
                )
            ).all()
            votes = (
                await s.exec(
                    select(Inquiry.entry_id, Inquiry.feedback, func.count())
                    .where(recent, col(Inquiry.feedback).is_not(None))
                    .group_by(col(Inquiry.entry_id), col(Inquiry.feedback))
                )
            ).all()
            answered_down = (
                await s.exec(
                    select(func.count()).where(
                        recent, asked, col(Inquiry.confident), col(Inquiry.feedback) == -1
                    )
                )
            ).one()
            verdicts = (
                await s.exec(
                    select(Inquiry.verdict, func.count())
                    .where(recent, col(Inquiry.verdict).is_not(None))
                    .group_by(col(Inquiry.verdict))
                )
            ).all()
            runs = (
                await s.exec(
                    select(Assessment.flow_id, Assessment.outcome)
                    .where(col(Assessment.created_at) >= since)
                    .limit(20000)
                )
            ).all()
        counts = {_as_date(d): (int(n), int(c or 0)) for d, n, c in per_day}
        series = [first + timedelta(days=i) for i in range(days)]
        per_entry: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for entry_id, vote, n in votes:
            per_entry[entry_id or "?"][0 if (vote or 0) > 0 else 1] += int(n)
        assessments: dict[str, Counter[str]] = defaultdict(Counter)
        for flow_id, outcome in runs:
            assessments[flow_id][outcome_label(outcome, (flows or {}).get(flow_id))] += 1
        checks = {bool(v): int(n) for v, n in verdicts}
        return Figures(
            days=[Day(d, *counts.get(d, (0, 0))) for d in series],
            by_channel={ch: int(n) for ch, n in sorted(channels, key=lambda r: -r[1])},
            by_province=await self._by_province(since),
            questions=sum(n for n, _ in counts.values()),
            confident=sum(c for _, c in counts.values()),
            top_entries=[(e or "?", int(n)) for e, n in top],
            votes_up=sum(v[0] for v in per_entry.values()),
            votes_down=sum(v[1] for v in per_entry.values()),
            disliked_entries=sorted(
                ((e, up, down) for e, (up, down) in per_entry.items() if down),
                key=lambda r: (-r[2], r[0]),
            )[:10],
            assessments=dict(assessments),
            answered_down=int(answered_down),
            checked_right=checks.get(True, 0),
            checked_wrong=checks.get(False, 0),
        )

    async def _by_province(self, since: datetime) -> dict[str, int]:
        """Inquiries per province id, for users who told the bot their province."""
        places = (
            select(col(Subscriber.user_key), col(Subscriber.province))
            .where(col(Subscriber.province).is_not(None))
            .distinct()
            .subquery()
        )
        query = (
            select(places.c.province, func.count())
            .select_from(Inquiry)
            .join(places, places.c.user_key == col(Inquiry.user_key))
            .where(col(Inquiry.created_at) >= since, col(Inquiry.kind).in_(QUESTION_KINDS))
            .group_by(places.c.province)
            .order_by(func.count().desc())
        )
        async with self.sessions() as s:
            rows = (await s.exec(query)).all()
        return {str(p): int(n) for p, n in rows}


def _as_date(value: object) -> date:
    """SQLite returns the day as text, PostgreSQL as a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
