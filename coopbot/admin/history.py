"""Read-side queries for staff: recent conversations and CSV export rows (pseudonymised)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from coopbot.admin.labels import (
    CHANNEL_NAMES,
    FEEDBACK_NAMES,
    KIND_NAMES,
    LOCAL,
    REVIEW_NAMES,
    label,
    outcome_label,
    vn_iso,
)
from coopbot.storage.db import session_factory
from coopbot.storage.tables import Assessment, Inquiry

STATUSES = {
    "answered": (col(Inquiry.kind) == "faq") & col(Inquiry.confident).is_(True),  # typed
    "unsure": col(Inquiry.kind) == "not_sure",
    "unanswered": col(Inquiry.kind) == "out_of_scope",
    "disliked": col(Inquiry.feedback) == -1,
}
INQUIRY_COLUMNS = (
    "Thời điểm (giờ Việt Nam)", "Kênh", "Người dùng (bí danh)", "Loại", "Tin nhắn",
    "Mã mục trả lời", "Độ tin cậy", "Trả lời chắc chắn", "Đánh giá của người dùng", "Xem lại",
)  # fmt: skip
ASSESSMENT_COLUMNS = (
    "Thời điểm (giờ Việt Nam)", "Kênh", "Người dùng (bí danh)", "Bộ câu hỏi", "Kết quả",
    "Tổng điểm", "Câu trả lời",
)  # fmt: skip
BATCH = 500


@dataclass(frozen=True, slots=True)
class UserSummary:
    """One pseudonymous user in the conversations list."""

    user_key: str
    channel: str
    count: int
    last: datetime


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which rows an export holds: Vietnam calendar days, channel, status."""

    start: date | None = None
    end: date | None = None
    channel: str | None = None
    status: str | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The UTC instants of the first and after-last day."""
        lo = datetime.combine(self.start, time.min, LOCAL) if self.start else None
        hi = datetime.combine(self.end + timedelta(days=1), time.min, LOCAL) if self.end else None
        return lo, hi


def user_label(user_key: str) -> str:
    """The pseudonym as shown and exported (already a keyed hash; shortened for reading)."""
    return user_key[:16]


class History:
    """Conversations and exports over the inquiry and assessment tables."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)

    async def recent_users(self, limit: int = 100) -> list[UserSummary]:
        """Users with the most recent messages first."""
        last = func.max(Inquiry.created_at)
        query = (
            select(Inquiry.user_key, Inquiry.channel, func.count(), last)
            .group_by(col(Inquiry.user_key), col(Inquiry.channel))
            .order_by(last.desc())
            .limit(limit)
        )
        async with self.sessions() as s:
            rows = (await s.exec(query)).all()
        return [UserSummary(k, ch, int(n), _aware(t)) for k, ch, n, t in rows]

    async def conversation(self, user_key: str, limit: int = 100) -> list[Inquiry]:
        """A user's latest messages, oldest first."""
        query = (
            select(Inquiry)
            .where(Inquiry.user_key == user_key)
            .order_by(col(Inquiry.id).desc())
            .limit(limit)
        )
        async with self.sessions() as s:
            rows = list((await s.exec(query)).all())
        return rows[::-1]

    async def inquiry_rows(self, flt: ExportFilter) -> AsyncIterator[list[Any]]:
        """Export rows in id order, streamed from the database in batches."""
        query = select(Inquiry).where(*self._where(flt, col(Inquiry.created_at), Inquiry.channel))
        if flt.status in STATUSES:
            query = query.where(STATUSES[flt.status])
        async for r in self._stream(query.order_by(col(Inquiry.id))):
            yield [
                vn_iso(r.created_at), label(CHANNEL_NAMES, r.channel), user_label(r.user_key),
                label(KIND_NAMES, r.kind), r.text or "", r.entry_id or "",
                "" if r.score is None else r.score, "có" if r.confident else "không",
                label(FEEDBACK_NAMES, r.feedback), label(REVIEW_NAMES, r.review),
            ]  # fmt: skip

    async def assessment_rows(
        self, flt: ExportFilter, flows: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[Any]]:
        """Assessment export rows in id order; ``flows`` give titles and grade names."""
        flows = flows or {}
        query = select(Assessment).where(
            *self._where(flt, col(Assessment.created_at), Assessment.channel)
        )
        async for r in self._stream(query.order_by(col(Assessment.id))):
            total = r.outcome.get("total")
            flow = flows.get(r.flow_id)
            yield [
                vn_iso(r.created_at), label(CHANNEL_NAMES, r.channel), user_label(r.user_key),
                flow.title if flow is not None else r.flow_id, outcome_label(r.outcome, flow),
                "" if total is None else total, _compact(r.answers),
            ]  # fmt: skip

    def _where(self, flt: ExportFilter, created: Any, channel: Any) -> list[ColumnElement[bool]]:
        """Conditions for dates and channel."""
        lo, hi = flt.bounds()
        conds: list[ColumnElement[bool]] = []
        if lo is not None:
            conds.append(created >= lo)
        if hi is not None:
            conds.append(created < hi)
        if flt.channel:
            conds.append(channel == flt.channel)
        return conds

    async def _stream(self, query: Select[Any]) -> AsyncIterator[Any]:
        """Rows of ``query`` fetched in batches of BATCH, never all in memory."""
        async with self.sessions() as s:
            result = await s.stream_scalars(query)
            async for partition in result.partitions(BATCH):
                for row in partition:
                    yield row


def _aware(value: datetime) -> datetime:
    """SQLite aggregates come back naive; they are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _compact(data: dict[str, Any]) -> str:
    """Answers as compact JSON for one CSV cell."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
