"""Fixed SQL run on the driver connection (asyncpg, aiosqlite) beneath a pooled SQLAlchemy
connection, for statements on a hot path.

SQLAlchemy's per-statement work (building the statement, its cache key, the execution context
and result objects, several thread hops on aiosqlite) costs two to three times the CPU of the
statement itself for the one-row statements the inbox runs for every update. Here the pool,
connection set-up (SQLite pragmas, asyncpg JSON codecs) and disposal stay SQLAlchemy's; only
the statement goes straight to the driver. Each statement is its own transaction.

SQL is written once with ``$1``-style parameters (asyncpg's); SQLite runs it as ``?1``.
Errors come out as SQLAlchemy's (IntegrityError, OperationalError …), so callers and
``storage.db.unavailable`` treat them as they treat any other statement's.

SQLite: the write lock of one database file is shared by every worker process, and a writer
that finds it taken sleeps (1, 2, 5 … 100 ms steps). So a statement must not hold it across an
event-loop round trip to a separate COMMIT: under load such holds added up to seconds of waiting
(p99 2–3 s). Python's sqlite3 opens a transaction implicitly only before statements that begin
with INSERT, UPDATE, DELETE or REPLACE; ours begin with a ``WITH`` clause, so SQLite runs each in
its own autocommit mode and releases the lock as the statement ends, in the driver's thread.
(Were a transaction opened anyway, it is committed: only speed depends on this.)
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only, greenlet_spawn

_PARAM = re.compile(r"\$(\d+)")


def _pg_errors() -> tuple[type[BaseException], type[BaseException]]:
    """asyncpg's integrity-violation and client-side (interface) exception classes."""
    import asyncpg  # type: ignore[import-untyped]  # PostgreSQL only

    return asyncpg.IntegrityConstraintViolationError, asyncpg.InterfaceError


class Driver:
    """Runs fixed statements straight on the driver connection of the engine's pool."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self._integrity: type[BaseException] = sqlite3.IntegrityError
        self._interface: type[BaseException] = sqlite3.InterfaceError
        if not self.sqlite:
            self._integrity, self._interface = _pg_errors()

    def sql(self, text: str) -> str:
        """The statement in this driver's parameter style, on one line (SQLite: autocommit)."""
        text = " ".join(text.split())
        if not self.sqlite:
            return text
        if not text.upper().startswith("WITH "):
            text = f"WITH autocommit AS (SELECT 1) {text}"
        return _PARAM.sub(r"?\1", text)

    def json(self, value: Any) -> str | None:
        """A JSON parameter (both drivers take text: SQLAlchemy sets asyncpg's codec so)."""
        return None if value is None else json.dumps(value)

    def from_json(self, value: Any) -> Any:
        """A JSON column as read (asyncpg already decodes it; SQLite gives text)."""
        return json.loads(value) if self.sqlite and isinstance(value, str) else value

    def binder(self, model: type[Any], column: str) -> Callable[[Any], Any]:
        """How SQLAlchemy would pass a value of a table's column (e.g. datetimes on SQLite)."""
        dialect, type_ = self._engine.dialect, inspect(model).columns[column].type
        process = type_.dialect_impl(dialect).bind_processor(dialect)
        return process if process is not None else _same

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """Run one statement (from ``sql()``) in its own transaction; the rows it returned."""
        try:
            return await greenlet_spawn(self._run, sql, args)
        except sa_exc.DBAPIError as exc:
            if exc.connection_invalidated:  # the server went away, most likely the rest of the
                await self._engine.dispose()  # pool with it: renewed, as SQLAlchemy does
            raise

    def _run(self, sql: str, args: tuple[Any, ...]) -> list[Sequence[Any]]:
        """Check a connection out of the pool, run the statement on its driver connection, check
        it back in (inside SQLAlchemy's greenlet, as its own statements run)."""
        pooled = self._engine.sync_engine.raw_connection()
        try:
            raw: Any = pooled.driver_connection
            try:
                if not self.sqlite:  # no transaction is open: the statement commits as it ends
                    return list(await_only(raw.fetch(sql, *args)))
                rows = list(await_only(raw.execute_fetchall(sql, args)))
                if raw.in_transaction:  # not expected (see above), but never lose a write
                    await_only(raw.commit())
                return rows
            except Exception as exc:
                lost = self._lost(raw, exc)
                if lost:
                    pooled.invalidate(exc)
                raise self._translated(sql, exc, lost) from exc
        finally:
            pooled.close()

    def _lost(self, raw: Any, exc: Exception) -> bool:
        """The server went away (SQLAlchemy's own test for asyncpg)."""
        return not self.sqlite and (isinstance(exc, OSError | TimeoutError) or raw.is_closed())

    def _translated(self, sql: str, exc: Exception, lost: bool) -> Exception:
        """The driver's error as SQLAlchemy's."""
        if lost:
            return sa_exc.OperationalError(sql, None, exc, connection_invalidated=True)
        if isinstance(exc, self._integrity):
            return sa_exc.IntegrityError(sql, None, exc)
        if isinstance(exc, sqlite3.Error):
            wrapped = sa_exc.DBAPIError.instance(sql, None, exc, sqlite3.Error)
            return wrapped if isinstance(wrapped, Exception) else exc
        if isinstance(exc, self._interface):
            return sa_exc.InterfaceError(sql, None, exc)
        return sa_exc.DBAPIError(sql, None, exc)


def _same(value: Any) -> Any:
    """The value unchanged."""
    return value
