"""Retention (Decree 13/2023/NĐ-CP): raw inquiry text goes after N days, counts stay.

Inquiry rows older than ``days`` lose ``text`` and ``normalized``; channel, kind, entry id,
score, confidence and feedback stay for anonymous statistics. Quarantined items, and phrasings
or drafts staff made from users' questions, older than ``days`` are deleted. Finished inbox rows
(dedupe keys) older than a week, expired staff sessions and sign-in throttle rows (they hold
client addresses) idle for a day are deleted. Idempotent: several workers may run it at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from coopbot.storage.curation import CurationStore
from coopbot.storage.tables import InboxRow, Inquiry, LoginThrottle, Quarantine, StaffSession

DEDUP_DAYS = 7
THROTTLE_IDLE = 24 * 3600.0  # seconds after the last failure and lock-out


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """Rows changed by one pass."""

    inquiries_cleared: int
    updates_deleted: int
    sessions_deleted: int
    throttles_deleted: int = 0
    curated_deleted: int = 0


async def apply_retention(
    engine: AsyncEngine, days: int, now: datetime | None = None
) -> RetentionReport:
    """Clear old inquiry text, prune dedup keys and expired staff sessions, in one transaction."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=days)
    async with engine.begin() as conn:
        cleared = await conn.execute(
            update(Inquiry)
            .where(
                col(Inquiry.created_at) < cutoff,
                or_(col(Inquiry.text).is_not(None), col(Inquiry.normalized).is_not(None)),
            )
            .values(text=None, normalized=None)
        )
        updates = await conn.execute(
            delete(InboxRow).where(
                or_(
                    (col(InboxRow.status) == "done")
                    & (col(InboxRow.created_at) < now - timedelta(days=DEDUP_DAYS)),
                    (col(InboxRow.status) == "quarantined") & (col(InboxRow.created_at) < cutoff),
                )
            )
        )
        quarantined = await conn.execute(
            delete(Quarantine).where(col(Quarantine.created_at) < cutoff)
        )
        sessions = await conn.execute(
            delete(StaffSession).where(col(StaffSession.expires_at) < now)
        )
        idle = now.timestamp() - THROTTLE_IDLE
        throttles = await conn.execute(
            delete(LoginThrottle).where(
                col(LoginThrottle.window_start) < idle, col(LoginThrottle.locked_until) < idle
            )
        )
    curated = await CurationStore(engine).prune(cutoff)
    return RetentionReport(
        int(cleared.rowcount or 0),
        int(updates.rowcount or 0) + int(quarantined.rowcount or 0),
        int(sessions.rowcount or 0),
        int(throttles.rowcount or 0),
        curated,
    )
