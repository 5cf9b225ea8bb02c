"""Statements on the driver connection (SQLite and PostgreSQL): each commits on its own, values
are stored as SQLAlchemy stores them, errors come out as SQLAlchemy's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from coopbot.storage.db import make_engine
from coopbot.storage.driver import Driver
from coopbot.storage.migrate import upgrade_async
from coopbot.storage.tables import Contact

INSERT = "INSERT INTO contact (channel, chat_id, active, updated_at) VALUES ($1, $2, $3, $4)"


async def test_a_statement_commits_on_its_own_and_errors_are_sqlalchemys(
    database_url: str,
) -> None:
    await upgrade_async(database_url)
    engine, other = make_engine(database_url), make_engine(database_url)
    try:
        db = Driver(engine)
        stamp = db.binder(Contact, "updated_at")
        now = datetime.now(UTC)
        assert await db.fetch(db.sql(INSERT), "telegram", "1", True, stamp(now)) == []
        async with other.begin() as conn:  # another connection sees it: committed
            await conn.execute(insert(Contact).values(channel="web", chat_id="2", updated_at=now))
            query = text("SELECT chat_id, active, updated_at FROM contact ORDER BY chat_id")
            rows = (await conn.execute(query)).all()
        assert [(r[0], bool(r[1])) for r in rows] == [("1", True), ("2", True)]
        assert rows[0][2] == rows[1][2]  # stored exactly as SQLAlchemy stores it
        with pytest.raises(IntegrityError):
            await db.fetch(db.sql(INSERT), "telegram", "1", False, stamp(datetime.now(UTC)))
        rows = await db.fetch(db.sql("SELECT count(*) FROM contact WHERE chat_id = $1"), "1")
        assert rows[0][0] == 1
    finally:
        await engine.dispose()
        await other.dispose()
