"""Composition root for ``coopbot serve``: settings → storage → core → channels → one server."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels import mount
from bot.jobs import retention_job
from bot.metrics import ErrorCounter, Metrics
from bot.web.chat_api import add_routes
from bot.web.ops import add_ops_routes
from coopbot.config import Settings
from coopbot.core import Core, build_core
from coopbot.storage.channel_state import SqlContactStore, SqlDedupStore
from coopbot.storage.db import make_engine
from coopbot.storage.dialogs import SqlAssessmentLog, SqlDialogStore
from coopbot.storage.inquiries import SqlInquiryLog
from coopbot.storage.migrate import upgrade_async

log = logging.getLogger(__name__)
TELEGRAM_KEY: web.AppKey[Any] = web.AppKey("telegram")
ZALO_KEY: web.AppKey[Any] = web.AppKey("zalo")


async def open_core(settings: Settings) -> tuple[Core, AsyncEngine]:
    """Migrate (when allowed), open the database and build the core."""
    if settings.auto_migrate:
        await upgrade_async(settings.database_url)
    engine = make_engine(settings.database_url)
    inquiries = SqlInquiryLog(engine)
    core = build_core(settings, inquiries, SqlDialogStore(engine), SqlAssessmentLog(engine))
    core.erasables += [SqlContactStore(engine), SqlDedupStore(engine)]  # raw ids go too
    await inquiries.start()
    return core, engine


async def make_app(settings: Settings) -> web.Application:
    """The aiohttp application with every configured channel, ready to serve."""
    core, engine = await open_core(settings)
    app = web.Application(client_max_size=1024 * 1024)
    metrics = Metrics()
    core.observer = metrics
    add_routes(app, core)
    add_ops_routes(app, engine, metrics)
    app.cleanup_ctx.append(retention_job(engine, settings.retention_days))
    errors = ErrorCounter(metrics)
    logging.getLogger().addHandler(errors)
    if settings.telegram_bot_token is not None:
        from bot.telegram.channel import WEBHOOK_PATH as TELEGRAM_PATH
        from bot.telegram.channel import TelegramChannel

        channel = TelegramChannel(settings, core, SqlDedupStore(engine), SqlContactStore(engine))
        mount(app, TELEGRAM_PATH, channel)
        app[TELEGRAM_KEY] = channel
    if settings.zalo_app_id is not None:
        from bot.zalo.channel import WEBHOOK_PATH as ZALO_PATH
        from bot.zalo.channel import ZaloChannel
        from coopbot.storage.tokens import SqlTokenStore

        zalo = ZaloChannel(
            settings, core, SqlDedupStore(engine), SqlContactStore(engine), SqlTokenStore(engine)
        )
        mount(app, ZALO_PATH, zalo)
        app[ZALO_KEY] = zalo

    async def close(_app: web.Application) -> None:
        logging.getLogger().removeHandler(errors)
        await core.inquiries.close()
        await engine.dispose()

    app.on_cleanup.append(close)
    log.info("coopbot ready: %d FAQ entries", len(core.kb.entries))
    return app
