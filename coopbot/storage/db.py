"""Engine factory: one async engine per process, built from settings (no import-time engines)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from coopbot.errors import StorageUnavailable

Row = TypeVar("Row", bound=SQLModel)

POOL_SIZE = 20  # kept open: above it, connections are opened and closed per use (slow)
_DOWN = (
    OSError,
    TimeoutError,
    StorageUnavailable,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
)


def unavailable(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what caused it) means the database cannot be reached right now,
    as opposed to a statement or a value it refused."""
    for _ in range(6):
        if exc is None:
            return False
        if isinstance(exc, _DOWN):
            return True
        if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def make_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL and a busy timeout so several processes can share it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, hide_parameters=True, pool_size=POOL_SIZE
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: it costs a round trip per checkout (half the throughput). After a server
    # restart the first statement on a stale connection fails, SQLAlchemy then invalidates the
    # whole pool, and that one message is answered without questionnaire state.
    return create_async_engine(
        url, pool_size=POOL_SIZE, max_overflow=10, pool_recycle=1800, hide_parameters=True
    )


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    """WAL journal and NORMAL sync: durable at checkpoints, fast, multi-process safe."""
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep objects usable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def upsert(
    sessions: async_sessionmaker[AsyncSession],
    model: type[Row],
    key: Any,
    new: Callable[[], Row],
    change: Callable[[Row, bool], bool],
) -> None:
    """Read-modify-write one row by primary key, creating it with ``new()`` when missing.

    ``change(row, created)`` edits the row and returns False when there is nothing to write.
    Two workers may insert the same new key at once: the loser retries, then finds the row and
    updates it."""
    for attempt in (1, 2):
        async with sessions() as s:
            found = await s.get(model, key)
            row = new() if found is None else found
            if not change(row, found is None):
                return
            s.add(row)
            try:
                await s.commit()
                return
            except IntegrityError:
                if attempt == 2:
                    raise
