"""PostgreSQL connections dropped under the pool (a server restart): replies keep coming, and
the inbox's own statements renew the pool as SQLAlchemy's do."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from coopbot.config import Settings
from coopbot.core import Stores, build_core
from coopbot.inbound.envelope import Envelope
from coopbot.messages import IncomingMessage, UserKey
from coopbot.storage.db import make_engine, unavailable
from coopbot.storage.dialogs import SqlAssessmentLog, SqlDialogStore
from coopbot.storage.inbox_sql import SqlInbox
from coopbot.storage.inquiries import SqlInquiryLog
from coopbot.storage.migrate import upgrade_async


async def test_dropped_connections_cost_no_reply(
    database_url: str, settings_default: Settings
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("terminating server connections is a PostgreSQL scenario")
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    log = SqlInquiryLog(engine)
    core = build_core(
        settings_default, Stores(log, SqlDialogStore(engine), SqlAssessmentLog(engine))
    )
    user = UserKey("web", "r1")
    plain = database_url.replace("+asyncpg", "")
    try:
        assert "Câu 1/" in (await core.handle(IncomingMessage(user, text="/kiemtra")))[0].text
        admin = await asyncpg.connect(plain)
        name = plain.rsplit("/", 1)[1]
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await admin.close()
        error = core.kb.messages("error")
        for text in ("7", "25", "lap htx can bao nhieu nguoi"):
            replies = await core.handle(IncomingMessage(user, text=text))
            assert replies and replies[0].text != error
        await log.close()
        rows = await log.recent()
        assert len(rows) == 4
    finally:
        await engine.dispose()


async def test_the_inbox_renews_dropped_connections_after_one_failure(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("terminating server connections is a PostgreSQL scenario")
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    inbox = SqlInbox(engine)
    plain = database_url.replace("+asyncpg", "")
    try:  # several pooled connections, then all of them dropped by the server
        await asyncio.gather(*(inbox.accept(_env(str(i))) for i in range(6)))
        admin = await asyncpg.connect(plain)
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            plain.rsplit("/", 1)[1],
        )
        await admin.close()
        try:
            await inbox.accept(_env("first"))
        except Exception as exc:  # the stale connection fails once, as a database outage
            assert unavailable(exc)
        assert await inbox.accept(_env("second")) is True  # the pool was renewed
        assert await inbox.finish(1) is False
    finally:
        await engine.dispose()


def _env(dedupe: str) -> Envelope:
    """A Telegram update of its own chat."""
    return Envelope(dedupe, dedupe, IncomingMessage(UserKey("telegram", dedupe), text="x"))
