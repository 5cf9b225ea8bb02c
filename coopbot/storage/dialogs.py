"""Dialog-state port (per-user questionnaire state) and assessment results: interfaces,
in-memory twins and SQL implementations."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from coopbot.errors import StorageError
from coopbot.storage.db import session_factory
from coopbot.storage.tables import Assessment, DialogState


class StateConflict(StorageError):
    """Another process changed the user's state since it was read."""


@dataclass(frozen=True, slots=True)
class Stored:
    """A user's state as read, with the version to write back against."""

    data: dict[str, Any]
    version: int


class DialogStore(ABC):
    """Per-user questionnaire state."""

    @abstractmethod
    async def get(self, user_key: str) -> Stored | None:
        """The state, or None."""

    @abstractmethod
    async def put(self, user_key: str, data: dict[str, Any], version: int | None) -> None:
        """Write; ``version`` is what was read (None: there was none). StateConflict if stale."""

    @abstractmethod
    async def delete(self, user_key: str) -> None:
        """Forget the state."""


class MemoryDialogStore(DialogStore):
    """In-memory twin."""

    def __init__(self) -> None:
        self.rows: dict[str, Stored] = {}

    async def get(self, user_key: str) -> Stored | None:
        """The state, or None."""
        return self.rows.get(user_key)

    async def put(self, user_key: str, data: dict[str, Any], version: int | None) -> None:
        """Write with the same conflict rule as SQL."""
        current = self.rows.get(user_key)
        if (current.version if current else None) != version:
            raise StateConflict(user_key)
        self.rows[user_key] = Stored(dict(data), (version or 0) + 1)

    async def delete(self, user_key: str) -> None:
        """Forget."""
        self.rows.pop(user_key, None)


class SqlDialogStore(DialogStore):
    """One row per user; writes are compare-and-set on ``version`` across processes."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)

    async def get(self, user_key: str) -> Stored | None:
        """The state, or None."""
        async with self._sessions() as s:
            row = await s.get(DialogState, user_key)
            return Stored(dict(row.data), row.version) if row else None

    async def put(self, user_key: str, data: dict[str, Any], version: int | None) -> None:
        """Insert when new, else update only if nobody wrote in between."""
        now = datetime.now(UTC)
        flow = str(data.get("flow", ""))
        async with self._sessions() as s:
            if version is None:
                s.add(DialogState(user_key=user_key, flow_id=flow, data=data, updated_at=now))
                try:
                    await s.commit()
                except IntegrityError as exc:
                    raise StateConflict(user_key) from exc
                return
            result = await s.exec(
                update(DialogState)
                .where(col(DialogState.user_key) == user_key, col(DialogState.version) == version)
                .values(data=data, flow_id=flow, updated_at=now, version=version + 1)
            )
            await s.commit()
            if result.rowcount != 1:
                raise StateConflict(user_key)

    async def delete(self, user_key: str) -> None:
        """Forget."""
        async with self._sessions() as s:
            await s.exec(delete(DialogState).where(col(DialogState.user_key) == user_key))
            await s.commit()


@dataclass(frozen=True, slots=True)
class AssessmentRecord:
    """One finished questionnaire."""

    channel: str
    user_key: str
    flow_id: str
    answers: dict[str, Any]
    outcome: dict[str, Any]
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class AssessmentLog(ABC):
    """Where finished questionnaires go."""

    @abstractmethod
    async def record(self, item: AssessmentRecord) -> None:
        """Store one result."""

    @abstractmethod
    async def recent(self, limit: int = 100) -> list[AssessmentRecord]:
        """Newest first."""


class MemoryAssessmentLog(AssessmentLog):
    """In-memory twin."""

    def __init__(self) -> None:
        self.items: list[AssessmentRecord] = []

    async def record(self, item: AssessmentRecord) -> None:
        """Append."""
        self.items.append(item)

    async def recent(self, limit: int = 100) -> list[AssessmentRecord]:
        """Newest first."""
        return list(reversed(self.items[-limit:]))


class SqlAssessmentLog(AssessmentLog):
    """Results in the ``assessment`` table."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)

    async def record(self, item: AssessmentRecord) -> None:
        """Insert."""
        async with self._sessions() as s:
            s.add(
                Assessment(
                    created_at=item.created_at,
                    channel=item.channel,
                    user_key=item.user_key,
                    flow_id=item.flow_id,
                    answers=item.answers,
                    outcome=item.outcome,
                )
            )
            await s.commit()

    async def recent(self, limit: int = 100) -> list[AssessmentRecord]:
        """Newest first."""
        async with self._sessions() as s:
            rows = await s.exec(select(Assessment).order_by(col(Assessment.id).desc()).limit(limit))
            return [
                AssessmentRecord(
                    r.channel, r.user_key, r.flow_id, dict(r.answers), dict(r.outcome), r.created_at
                )
                for r in rows
            ]
