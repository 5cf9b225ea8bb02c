"""Dialog-state port (per-user questionnaire state) and assessment results: interfaces,
in-memory twins and SQL implementations."""

from __future__ import annotations

import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from coopbot.errors import StorageError
from coopbot.messages import UserKey
from coopbot.storage.db import session_factory
from coopbot.storage.driver import Driver
from coopbot.storage.tables import Assessment, DialogState

log = logging.getLogger(__name__)


def lock_id(user_key: str) -> int:
    """A signed 64-bit key for ``pg_advisory_xact_lock`` from the user's pseudonym."""
    digest = hashlib.blake2b(user_key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class StateConflict(StorageError):
    """Another process changed the user's state since it was read."""


@dataclass(frozen=True, slots=True)
class Stored:
    """A user's state as read, with the version to write back against."""

    data: dict[str, Any]
    version: int


class DialogStore(ABC):
    """Per-user questionnaire state."""

    cross_process_lock = False  # True when ``locked`` really locks (the core then uses it)

    @abstractmethod
    async def get(self, user_key: str) -> Stored | None:
        """The state, or None."""

    @abstractmethod
    async def put(self, user_key: str, data: dict[str, Any], version: int | None) -> None:
        """Write; ``version`` is what was read (None: there was none). StateConflict if stale."""

    @abstractmethod
    async def delete(self, user_key: str) -> None:
        """Forget the state."""

    @asynccontextmanager
    async def locked(self, user_key: str) -> AsyncIterator[None]:
        """Hold the user's state against other processes (a no-op unless a store needs it)."""
        yield

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Forget the user's state; rows removed."""
        had = await self.get(user_key) is not None
        await self.delete(user_key)
        return int(had)


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
    """One row per user; writes are compare-and-set on ``version`` across processes.

    On PostgreSQL ``locked`` also takes ``pg_advisory_xact_lock`` on the user, so one user's
    messages are handled one at a time across processes; reads and writes inside it use the
    lock's connection. SQLite has no such lock: the compare-and-set and the core's retry are
    the guarantee there (a write over a stale version fails and the message is routed again).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)
        self._db = Driver(engine)
        self._get = self._db.sql("SELECT data, version FROM dialog_state WHERE user_key = $1")
        self.cross_process_lock = engine.dialect.name == "postgresql"
        self._conn: ContextVar[AsyncConnection | None] = ContextVar(
            f"dialog-lock-{id(self)}", default=None
        )

    def _session(self) -> AsyncSession:
        """A session on the held lock's connection (savepoints), else a pooled one."""
        conn = self._conn.get()
        if conn is None:
            return self._sessions()
        return AsyncSession(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    @asynccontextmanager
    async def locked(self, user_key: str) -> AsyncIterator[None]:
        """PostgreSQL: an advisory transaction lock on the user for the block's duration."""
        conn = await self._acquire(user_key) if self.cross_process_lock else None
        if conn is None:
            yield
            return
        token = self._conn.set(conn)
        try:
            yield
            await conn.commit()
        finally:
            self._conn.reset(token)
            await conn.close()

    async def _acquire(self, user_key: str) -> AsyncConnection | None:
        """A connection holding the user's lock; None (unlocked) when the database is down."""
        try:
            conn = await self._engine.connect()
        except Exception:  # storage down: the core still answers, without questionnaire state
            log.warning("dialog lock unavailable; continuing without it", exc_info=True)
            return None
        try:
            await conn.execute(select(func.pg_advisory_xact_lock(lock_id(user_key))))
        except BaseException:
            await conn.close()
            raise
        return conn

    async def get(self, user_key: str) -> Stored | None:
        """The state, or None (a plain SELECT: this runs for every message)."""
        held = self._conn.get()
        if held is None:  # straight on the driver connection (storage.driver)
            rows = await self._db.fetch(self._get, user_key)
            return Stored(dict(self._db.from_json(rows[0][0])), int(rows[0][1])) if rows else None
        query = select(col(DialogState.data), col(DialogState.version)).where(
            col(DialogState.user_key) == user_key
        )
        row = (await held.execute(query)).first()
        return Stored(dict(row[0]), int(row[1])) if row else None

    async def put(self, user_key: str, data: dict[str, Any], version: int | None) -> None:
        """Insert when new, else update only if nobody wrote in between."""
        now = datetime.now(UTC)
        flow = str(data.get("flow", ""))
        async with self._session() as s:
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
        async with self._session() as s:
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

    @abstractmethod
    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Delete the pseudonymous user's results; rows removed."""


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

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Drop the user's results."""
        before = len(self.items)
        self.items = [i for i in self.items if i.user_key != user_key]
        return before - len(self.items)


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

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """DELETE the user's rows."""
        async with self._sessions() as s:
            result = await s.exec(delete(Assessment).where(col(Assessment.user_key) == user_key))
            await s.commit()
            return int(result.rowcount or 0)
