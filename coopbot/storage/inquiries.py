"""Inquiry log port: an abstract interface, an in-memory twin and a SQL group-commit writer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import delete, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from coopbot.messages import UserKey
from coopbot.observe import NullObserver, Observer
from coopbot.storage.db import session_factory
from coopbot.storage.driver import Driver
from coopbot.storage.quarantine import (
    Quarantined,
    QuarantineStore,
    SqlQuarantineStore,
    ascii_json,
)
from coopbot.storage.tables import Inquiry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InquiryRecord:
    """What the core knows about one handled message."""

    channel: str
    user_key: str
    kind: str
    text: str | None
    normalized: str | None = None
    entry_id: str | None = None
    score: float | None = None
    confident: bool = False
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    ref: str | None = None
    feedback: int | None = None
    runner_up: str | None = None  # the second-best entry of the FAQ search
    margin: float | None = None  # the best entry's ranking score minus the runner-up's


class InquiryLog(ABC):
    """Where inquiries go. ``record`` must never raise into the reply path."""

    @abstractmethod
    async def record(self, item: InquiryRecord) -> None:
        """Store one inquiry (best effort, bounded wait)."""

    @abstractmethod
    async def recent(self, limit: int = 100) -> list[InquiryRecord]:
        """The newest inquiries first."""

    @abstractmethod
    async def set_feedback(self, ref: str, user_key: str, vote: int) -> bool:
        """Store 👍 (+1) or 👎 (-1) on the user's own inquiry ``ref``; False if not found."""

    @abstractmethod
    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Delete every inquiry of the pseudonymous user; rows removed."""

    async def start(self) -> None:  # noqa: B027 (optional hook; most logs need no start)
        """Start background work, if any."""

    async def close(self) -> None:  # noqa: B027 (optional hook; most logs need no close)
        """Flush and stop background work."""


class MemoryInquiryLog(InquiryLog):
    """In-memory twin for tests and ``coopbot ask``."""

    def __init__(self) -> None:
        self.items: list[InquiryRecord] = []

    async def record(self, item: InquiryRecord) -> None:
        """Append."""
        self.items.append(item)

    async def recent(self, limit: int = 100) -> list[InquiryRecord]:
        """Newest first."""
        return list(reversed(self.items[-limit:]))

    async def set_feedback(self, ref: str, user_key: str, vote: int) -> bool:
        """Replace the matching record."""
        for i, item in enumerate(self.items):
            if item.ref == ref and item.user_key == user_key:
                self.items[i] = replace(item, feedback=vote)
                return True
        return False

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Drop the user's records."""
        before = len(self.items)
        self.items = [i for i in self.items if i.user_key != user_key]
        return before - len(self.items)


class SqlInquiryLog(InquiryLog):
    """Batches inserts from concurrent replies into one transaction (group commit).

    A reply waits for its batch to commit, at most ``wait`` seconds; after that it goes on and
    the record stays queued, so a slow or broken database never blocks or breaks a reply.
    A batch the database refuses while it answers other queries holds a bad record: the batch
    is split until the record is alone, and that one is quarantined (kept as ASCII JSON for
    staff), so one poison message never stops the log for everyone.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        wait: float = 0.5,
        batch: int = 200,
        quarantine: QuarantineStore | None = None,
        observer: Observer | None = None,
    ) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)
        self._db = Driver(engine)
        self._binders = {name: self._db.binder(Inquiry, name) for name in COLUMNS}
        self._queue: asyncio.Queue[tuple[InquiryRecord, asyncio.Future[None]]] = asyncio.Queue(
            maxsize=10_000
        )
        self._wait = wait
        self._batch = batch
        self._task: asyncio.Task[None] | None = None
        self._quarantine = quarantine or SqlQuarantineStore(engine)
        self._observer = observer or NullObserver()

    async def start(self) -> None:
        """Start the writer task (owned here, cancelled in ``close``)."""
        if self._task is None:
            self._task = asyncio.create_task(self._writer(), name="inquiry-writer")

    async def record(self, item: InquiryRecord) -> None:
        """Queue the record and wait briefly for it to be committed."""
        await self.start()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait((item, done))
        except asyncio.QueueFull:
            log.warning("inquiry queue full; dropping one record")
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(done), self._wait)

    async def recent(self, limit: int = 100) -> list[InquiryRecord]:
        """Newest first, from the database."""
        async with self._sessions() as session:
            rows = await session.exec(select(Inquiry).order_by(col(Inquiry.id).desc()).limit(limit))
            return [_record(r) for r in rows]

    async def set_feedback(self, ref: str, user_key: str, vote: int) -> bool:
        """UPDATE the user's own row (after what is queued has been written)."""
        await self._drain(2)
        async with self._sessions() as session:
            result = await session.exec(
                update(Inquiry)
                .where(col(Inquiry.ref) == ref, col(Inquiry.user_key) == user_key)
                .values(feedback=vote)
            )
            await session.commit()
            return bool(result.rowcount == 1)

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """DELETE the user's rows, after what is queued has been written."""
        await self._drain(5)
        async with self._sessions() as session:
            result = await session.exec(delete(Inquiry).where(col(Inquiry.user_key) == user_key))
            await session.commit()
            return int(result.rowcount or 0)

    async def _drain(self, seconds: float) -> None:
        """Wait (bounded) until queued records are in the database."""
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), seconds)

    async def close(self) -> None:
        """Write what is queued, then stop the writer."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), 5)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _writer(self) -> None:
        """Take everything queued, insert it in one transaction, resolve the waiters."""
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit(batch)
            except Exception:  # a bug, not the database: never let the writer die
                log.exception("inquiry writer failed; %d records dropped", len(batch))
                self._resolve(batch)

    async def _commit(self, batch: list[tuple[InquiryRecord, asyncio.Future[None]]]) -> None:
        """Insert a batch; retry with backoff while the database is down; split a batch it
        refuses while up, and quarantine a record it refuses alone."""
        delay = 0.1
        while True:
            try:
                await self._insert(batch)
                break
            except Exception as exc:  # any driver error: an outage, or a record it refuses
                if _schema_pending(exc):  # not migrated (yet, or halfway): wait, as for an outage
                    pass
                elif await self._reachable() and await self._refused(batch, exc):
                    return
                log.warning("could not store %d inquiries (%s); retrying", len(batch), exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self._resolve(batch)

    async def _insert(self, batch: list[tuple[InquiryRecord, asyncio.Future[None]]]) -> None:
        """One multi-row INSERT on the driver connection: one statement and round trip, and on
        SQLite the write lock is held only while it runs (see ``storage.driver``)."""
        rows = [_values(item) for item, _ in batch]
        args = [self._binders[name](row[name]) for row in rows for name in COLUMNS]
        width = len(COLUMNS)
        groups = ", ".join(
            "(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")"
            for r in range(len(rows))
        )
        sql = f"INSERT INTO inquiry ({', '.join(COLUMNS)}) VALUES {groups}"
        await self._db.fetch(self._db.sql(sql), *args)

    async def _refused(
        self, batch: list[tuple[InquiryRecord, asyncio.Future[None]]], exc: Exception
    ) -> bool:
        """The database is up but refused the batch: halves, down to the bad record, which is
        quarantined. False when even that fails (no schema yet…): the caller retries later."""
        if len(batch) > 1:
            middle = len(batch) // 2
            await self._commit(batch[:middle])
            await self._commit(batch[middle:])
            return True
        item = batch[0][0]
        data = {"record": _values(item), "error": f"{type(exc).__name__}: {exc}"[:500]}
        kept = Quarantined(
            "inquiry", type(exc).__name__, ascii_json(data), item.channel, item.user_key
        )
        try:
            await self._quarantine.add(kept)
        except Exception:  # the database refuses everything: an outage after all
            return False
        self._observer.quarantined("inquiry")
        log.error("quarantined an inquiry the database refused: %s", type(exc).__name__)
        self._resolve(batch)
        return True

    async def _reachable(self) -> bool:
        """True when the database answers a trivial query now."""
        try:
            async with self._engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # down (or worse): treat as an outage and retry the batch later
            return False
        return True

    def _resolve(self, batch: list[tuple[InquiryRecord, asyncio.Future[None]]]) -> None:
        """Mark the batch handled and wake its waiters."""
        for _, done in batch:
            self._queue.task_done()
            if not done.done():
                done.set_result(None)


COLUMNS = (  # what ``_values`` fills, in the order of the INSERT
    "created_at",
    "channel",
    "user_key",
    "kind",
    "text",
    "normalized",
    "entry_id",
    "score",
    "confident",
    "ref",
    "feedback",
    "runner_up",
    "margin",
)
SCHEMA_PENDING = ("no such table", "no such column", "has no column named", "does not exist")


def _schema_pending(exc: Exception) -> bool:
    """The table or a column is missing: a migration has not run (or is running), so the
    record is fine and waits; it is never quarantined for that (SQLite and PostgreSQL words)."""
    return any(words in str(exc) for words in SCHEMA_PENDING)


def _values(item: InquiryRecord) -> dict[str, object]:
    """Record → column values (texts bounded to the column size)."""
    return {
        "created_at": item.created_at,
        "channel": item.channel,
        "user_key": item.user_key,
        "kind": item.kind,
        "text": item.text[:4000] if item.text else item.text,
        "normalized": item.normalized[:4000] if item.normalized else item.normalized,
        "entry_id": item.entry_id,
        "score": item.score,
        "confident": item.confident,
        "ref": item.ref,
        "feedback": item.feedback,
        "runner_up": item.runner_up,
        "margin": item.margin,
    }


def _record(row: Inquiry) -> InquiryRecord:
    """Row → record."""
    item = InquiryRecord(row.channel, row.user_key, row.kind, row.text)
    return replace(
        item,
        normalized=row.normalized,
        entry_id=row.entry_id,
        score=row.score,
        confident=row.confident,
        created_at=row.created_at,
        ref=row.ref,
        feedback=row.feedback,
        runner_up=row.runner_up,
        margin=row.margin,
    )
