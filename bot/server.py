"""Composition root for ``coopbot serve``: settings → storage → core → channels → one server."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin.app import add_admin
from bot.admin.context import Admin
from bot.channels import mount
from bot.jobs import retention_job
from bot.metrics import ErrorCounter, Metrics
from bot.web.chat_api import add_routes
from bot.web.ops import add_ops_routes
from coopbot.broadcast import Broadcasts, DeliveryQueue, DeliveryWorker, Sender
from coopbot.broadcast.compose import Composer
from coopbot.config import Settings
from coopbot.core import Core, build_core
from coopbot.storage.channel_state import SqlContactStore, SqlDedupStore
from coopbot.storage.chat_context import SqlChatContextStore
from coopbot.storage.db import make_engine
from coopbot.storage.dialogs import SqlAssessmentLog, SqlDialogStore
from coopbot.storage.inquiries import SqlInquiryLog
from coopbot.storage.migrate import upgrade_async
from coopbot.storage.presence import Presence
from coopbot.storage.subscribers import SqlSubscriberStore

log = logging.getLogger(__name__)
TELEGRAM_KEY: web.AppKey[Any] = web.AppKey("telegram")
ZALO_KEY: web.AppKey[Any] = web.AppKey("zalo")
WORKER_KEY: web.AppKey[DeliveryWorker] = web.AppKey("broadcast_worker")


async def open_core(settings: Settings) -> tuple[Core, AsyncEngine]:
    """Migrate (when allowed), open the database and build the core."""
    if settings.auto_migrate:
        await upgrade_async(settings.database_url)
    engine = make_engine(settings.database_url)
    inquiries = SqlInquiryLog(engine)
    core = build_core(
        settings,
        inquiries,
        SqlDialogStore(engine),
        SqlAssessmentLog(engine),
        SqlSubscriberStore(engine),
    )
    # raw ids go too; chat context whether or not Zalo is configured now
    core.erasables += [SqlContactStore(engine), SqlDedupStore(engine), SqlChatContextStore(engine)]
    await inquiries.start()
    return core, engine


async def make_app(settings: Settings) -> web.Application:
    """The aiohttp application with every configured channel, ready to serve."""
    core, engine = await open_core(settings)
    app = web.Application(client_max_size=1024 * 1024)
    metrics = Metrics()
    core.observer = metrics
    add_routes(app, core)
    add_admin(app, Admin.build(core, engine))
    senders: dict[str, Sender] = {}
    add_ops_routes(app, engine, metrics)
    app.cleanup_ctx.append(retention_job(engine, settings.retention_days))
    errors = ErrorCounter(metrics)
    logging.getLogger().addHandler(errors)
    if settings.telegram_bot_token is not None:
        from bot.telegram.broadcast import TelegramBroadcastSender
        from bot.telegram.channel import WEBHOOK_PATH as TELEGRAM_PATH
        from bot.telegram.channel import TelegramChannel

        composer = Composer(core.kb, Broadcasts(engine))
        channel = TelegramChannel(
            settings,
            core,
            SqlDedupStore(engine),
            SqlContactStore(engine),
            composer=composer,
            presence=Presence(engine, "telegram"),
        )
        mount(app, TELEGRAM_PATH, channel)
        app[TELEGRAM_KEY] = channel
        senders["telegram"] = TelegramBroadcastSender(channel.sender)
    if settings.zalo_app_id is not None:
        from bot.zalo.channel import WEBHOOK_PATH as ZALO_PATH
        from bot.zalo.channel import ZaloChannel
        from coopbot.storage.tokens import SqlTokenStore

        zalo = ZaloChannel(
            settings,
            core,
            SqlDedupStore(engine),
            SqlContactStore(engine),
            SqlTokenStore(engine),
            context=SqlChatContextStore(engine),
        )
        mount(app, ZALO_PATH, zalo)
        app[ZALO_KEY] = zalo
        from bot.zalo.broadcast import ZaloBroadcastSender

        senders["zalo"] = ZaloBroadcastSender(zalo)
    if settings.broadcast_worker and senders:
        run_worker(app, engine, settings, senders, core.kb.messages("broadcast_footer"))

    async def close(_app: web.Application) -> None:
        logging.getLogger().removeHandler(errors)
        await core.inquiries.close()
        await engine.dispose()

    app.on_cleanup.append(close)
    log.info("coopbot ready: %d FAQ entries", len(core.kb.entries))
    return app


def run_worker(
    app: web.Application,
    engine: AsyncEngine,
    settings: Settings,
    senders: dict[str, Sender],
    footer: str,
) -> None:
    """The delivery worker runs while the server does (after the channels start, stops first)."""
    queue = DeliveryQueue(engine, lease=settings.broadcast_lease)
    worker = DeliveryWorker(queue, senders, SqlContactStore(engine), footer)
    app[WORKER_KEY] = worker

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        worker.start()
        yield
        await worker.stop()

    app.cleanup_ctx.append(lifecycle)
