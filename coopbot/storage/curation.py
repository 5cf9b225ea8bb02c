"""Knowledge upkeep from the review queue: attached phrasings, drafted entries, review marks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from coopbot.messages import UserKey
from coopbot.storage.db import session_factory
from coopbot.storage.tables import DraftEntry, ExtraPhrasing, Inquiry

REVIEW_MARKS = ("ignored", "attached", "drafted")


@dataclass(frozen=True, slots=True)
class Phrasing:
    """A question staff attached to an entry."""

    id: int
    entry_id: str
    text: str
    created_by: str
    created_at: datetime
    merged_at: datetime | None = None  # written into knowledge/faq by ``kb merge-phrasings``


@dataclass(frozen=True, slots=True)
class Draft:
    """A drafted entry awaiting curation into knowledge/."""

    id: int
    title: str
    questions: tuple[str, ...]
    answer: str
    sources: str
    created_by: str
    created_at: datetime


class CurationStore:
    """SQL store for phrasings, drafts and review marks (shared by every worker)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = session_factory(engine)

    async def add_phrasing(
        self, entry_id: str, text: str, created_by: str, user_keys: Sequence[str] = ()
    ) -> int:
        """Store a phrasing (``user_keys``: who asked it, for erasure); returns its id."""
        row = ExtraPhrasing(
            entry_id=entry_id, text=text, created_by=created_by, user_keys=list(user_keys) or None
        )
        return await self._insert(row)

    async def askers(self, inquiry_ids: Sequence[int]) -> list[str]:
        """The pseudonyms of the people who asked these inquiries."""
        if not inquiry_ids:
            return []
        query = select(Inquiry.user_key).where(col(Inquiry.id).in_(list(inquiry_ids))).distinct()
        async with self.sessions() as s:
            return sorted(str(k) for k in (await s.exec(query)).all())

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Texts only this user asked are deleted; from shared ones the user's link goes."""
        return await self._unlink(lambda keys: user_key in keys, user_key)

    async def prune(self, before: datetime) -> int:
        """Texts taken from users' questions before ``before`` are deleted (retention)."""
        return await self._unlink(lambda keys: bool(keys), None, before)

    async def _unlink(
        self,
        hit: Callable[[list[str]], bool],
        user_key: str | None,
        before: datetime | None = None,
    ) -> int:
        """Delete (or, for ``user_key``, unlink) matching phrasing and draft rows; rows touched.
        Filtered in Python: both tables hold at most a few thousand staff-curated rows."""
        touched = 0
        async with self.sessions() as s:
            phrasings = select(ExtraPhrasing).where(col(ExtraPhrasing.user_keys).is_not(None))
            drafts = select(DraftEntry).where(col(DraftEntry.user_keys).is_not(None))
            if before is not None:
                phrasings = phrasings.where(col(ExtraPhrasing.created_at) < before)
                drafts = drafts.where(col(DraftEntry.created_at) < before)
            rows: list[ExtraPhrasing | DraftEntry] = [*(await s.exec(phrasings)).all()]
            rows += (await s.exec(drafts)).all()
            for row in rows:
                keys = list(row.user_keys or [])
                if not hit(keys):
                    continue
                touched += 1
                rest = [k for k in keys if k != user_key] if user_key else []
                if rest:
                    row.user_keys = rest
                    s.add(row)
                else:
                    await s.delete(row)
            await s.commit()
        return touched

    async def _insert(self, row: ExtraPhrasing | DraftEntry) -> int:
        """Add one row; its new id."""
        async with self.sessions() as s:
            s.add(row)
            await s.commit()
            await s.refresh(row)
        assert row.id is not None
        return row.id

    async def phrasings(self, pending: bool = False) -> list[Phrasing]:
        """Every attached phrasing (``pending``: only those not merged into knowledge/ yet),
        oldest first."""
        query = select(ExtraPhrasing).order_by(col(ExtraPhrasing.id))
        if pending:
            query = query.where(col(ExtraPhrasing.merged_at).is_(None))
        async with self.sessions() as s:
            rows = (await s.exec(query)).all()
        return [
            Phrasing(r.id or 0, r.entry_id, r.text, r.created_by, r.created_at, r.merged_at)
            for r in rows
        ]

    async def mark_merged(self, phrasing_ids: Sequence[int], when: datetime) -> int:
        """Record that these phrasings are in knowledge/faq now; rows changed."""
        if not phrasing_ids:
            return 0
        async with self.sessions() as s:
            result = await s.exec(
                update(ExtraPhrasing)
                .where(col(ExtraPhrasing.id).in_(list(phrasing_ids)))
                .values(merged_at=when)
            )
            await s.commit()
        return int(result.rowcount)

    async def set_verdict(self, inquiry_ids: Sequence[int], right: bool, staff: str) -> int:
        """Store a staff check of confident answers (right or wrong); rows changed."""
        if not inquiry_ids:
            return 0
        async with self.sessions() as s:
            result = await s.exec(
                update(Inquiry)
                .where(col(Inquiry.id).in_(list(inquiry_ids)), col(Inquiry.confident))
                .values(verdict=right, verdict_by=staff[:64])
            )
            await s.commit()
        return int(result.rowcount)

    async def delete_phrasing(self, phrasing_id: int) -> None:
        """Remove one phrasing (curated into knowledge/, or attached by mistake)."""
        async with self.sessions() as s:
            await s.exec(delete(ExtraPhrasing).where(col(ExtraPhrasing.id) == phrasing_id))
            await s.commit()

    async def version(self) -> tuple[int, int]:
        """(count, max id) of phrasings: changes whenever any worker adds or removes one."""
        async with self.sessions() as s:
            count, top = (await s.exec(select(func.count(), func.max(ExtraPhrasing.id)))).one()
        return int(count), int(top or 0)

    async def add_draft(
        self,
        title: str,
        questions: Sequence[str],
        answer: str,
        sources: str,
        created_by: str,
        user_keys: Sequence[str] = (),
    ) -> int:
        """Store a drafted entry; returns its id."""
        row = DraftEntry(
            title=title,
            questions=list(questions),
            answer=answer,
            sources=sources,
            created_by=created_by,
            user_keys=list(user_keys) or None,
        )
        return await self._insert(row)

    async def drafts(self) -> list[Draft]:
        """Every draft, newest first."""
        async with self.sessions() as s:
            rows = (await s.exec(select(DraftEntry).order_by(col(DraftEntry.id).desc()))).all()
        return [
            Draft(
                r.id or 0,
                r.title,
                tuple(r.questions),
                r.answer,
                r.sources,
                r.created_by,
                r.created_at,
            )
            for r in rows
        ]

    async def delete_draft(self, draft_id: int) -> None:
        """Remove a draft once curated or rejected."""
        async with self.sessions() as s:
            await s.exec(delete(DraftEntry).where(col(DraftEntry.id) == draft_id))
            await s.commit()

    async def mark(self, inquiry_ids: Sequence[int], mark: str) -> int:
        """Set the review mark on inquiries; returns how many rows changed."""
        if mark not in REVIEW_MARKS:
            raise ValueError(f"unknown review mark {mark!r}")
        if not inquiry_ids:
            return 0
        async with self.sessions() as s:
            result = await s.exec(
                update(Inquiry).where(col(Inquiry.id).in_(list(inquiry_ids))).values(review=mark)
            )
            await s.commit()
        return int(result.rowcount)
