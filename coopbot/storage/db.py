"""Engine factory: one async engine per process, built from settings (no import-time engines)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

POOL_SIZE = 20  # kept open: above it, connections are opened and closed per use (slow)


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
