"""Operator counts on both databases, before the broadcast tables exist."""

from __future__ import annotations

from coopbot.config import Settings
from coopbot.core import Stores, build_core
from coopbot.messages import IncomingMessage, UserKey
from coopbot.storage.db import make_engine
from coopbot.storage.dialogs import SqlAssessmentLog, SqlDialogStore
from coopbot.storage.inquiries import SqlInquiryLog
from coopbot.storage.migrate import upgrade_async
from coopbot.storage.stats import collect_stats


async def test_counts(database_url: str, settings_default: Settings) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    try:
        log = SqlInquiryLog(engine)
        core = build_core(
            settings_default, Stores(log, SqlDialogStore(engine), SqlAssessmentLog(engine))
        )
        for user, text in (("a", "lap htx can bao nhieu nguoi"), ("a", "zzz"), ("b", "von gop")):
            await core.handle(IncomingMessage(UserKey("web", user), text=text))
        await log.close()
        stats = await collect_stats(engine)
        assert stats["inquiries"]["total"] == 3 and stats["users"] == 2
        assert 1 <= stats["inquiries"]["confident"] <= 2
        assert (stats["subscribers"], stats["broadcasts"], stats["deliveries"]) == (0, 0, {})
    finally:
        await engine.dispose()
