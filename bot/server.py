"""Composition root for ``coopbot serve``: settings → storage → core → pipeline → adapters →
one aiohttp server. Everything is built here once; nothing below reaches back up."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin.app import add_admin
from bot.admin.context import Admin
from bot.channels import mount
from bot.jobs import retention_job
from bot.metrics import ErrorCounter, Metrics
from bot.web.chat_api import add_routes
from bot.web.ops import add_ops_routes, database_ready
from coopbot.broadcast import Broadcasts, DeliveryQueue, DeliveryWorker, Sender
from coopbot.broadcast.compose import Composer
from coopbot.config import Settings
from coopbot.core import Core, Stores, build_core
from coopbot.errors import StorageError
from coopbot.inbound.pipeline import Pipeline, PipelineConfig, ReplySender
from coopbot.knowledge import load_knowledge
from coopbot.observe import NullObserver, Observer
from coopbot.storage.channel_state import SqlContactStore
from coopbot.storage.chat_context import SqlChatContextStore
from coopbot.storage.curation import CurationStore
from coopbot.storage.db import make_engine
from coopbot.storage.dialogs import SqlAssessmentLog, SqlDialogStore
from coopbot.storage.inbox_sql import SqlInbox
from coopbot.storage.inquiries import SqlInquiryLog
from coopbot.storage.migrate import upgrade_in_child
from coopbot.storage.presence import Presence
from coopbot.storage.quarantine import SqlQuarantineStore
from coopbot.storage.subscribers import SqlSubscriberStore

log = logging.getLogger(__name__)
TELEGRAM_KEY: web.AppKey[Any] = web.AppKey("telegram")
ZALO_KEY: web.AppKey[Any] = web.AppKey("zalo")
WORKER_KEY: web.AppKey[DeliveryWorker] = web.AppKey("broadcast_worker")
PIPELINE_KEY: web.AppKey[Pipeline] = web.AppKey("pipeline", Pipeline)


@dataclass(frozen=True)
class Opened:
    """The database-backed parts every entry point shares."""

    core: Core
    engine: AsyncEngine
    inbox: SqlInbox
    contacts: SqlContactStore
    context: SqlChatContextStore


async def open_core(settings: Settings, observer: Observer | None = None) -> Opened:
    """Migrate (when allowed) or check the database, then build the core over it."""
    if settings.auto_migrate:
        await upgrade_in_child(settings.database_url)
    engine = make_engine(settings.database_url)
    if not settings.auto_migrate:
        reason = await database_ready(engine, limit=10.0)
        if reason is not None:
            await engine.dispose()
            raise StorageError(f"cannot start: {reason} (COOPBOT_AUTO_MIGRATE is off)")
    observer = observer or NullObserver()
    kb = load_knowledge(settings.knowledge_dir)
    quarantine = SqlQuarantineStore(engine)
    inquiries = SqlInquiryLog(engine, quarantine=quarantine, observer=observer)
    inbox, contacts, context = (
        SqlInbox(engine),
        SqlContactStore(engine),
        SqlChatContextStore(engine),
    )
    stores = Stores(
        inquiries,
        SqlDialogStore(engine),
        SqlAssessmentLog(engine),
        SqlSubscriberStore(engine),
        # raw ids and texts elsewhere; chat context whether or not Zalo is configured now
        erasables=(contacts, context, inbox, quarantine, CurationStore(engine)),
    )
    composer = Composer(kb, Broadcasts(engine)) if settings.officer_ids else None
    core = build_core(settings, stores, observer, composer, kb)
    await inquiries.start()
    return Opened(core, engine, inbox, contacts, context)


async def make_app(settings: Settings, config: PipelineConfig | None = None) -> web.Application:
    """The aiohttp application with every configured channel, ready to serve."""
    metrics = Metrics()
    opened = await open_core(settings, metrics)
    core, engine = opened.core, opened.engine
    app = web.Application(client_max_size=1024 * 1024)
    senders: dict[str, ReplySender] = {}
    bulk: dict[str, Sender] = {}
    channels: list[tuple[str, Any]] = []
    if settings.telegram_bot_token is not None:
        from bot.telegram.broadcast import TelegramBroadcastSender
        from bot.telegram.channel import WEBHOOK_PATH as TELEGRAM_PATH
        from bot.telegram.channel import TelegramChannel

        telegram = TelegramChannel(
            settings, core.kb, opened.contacts, presence=Presence(engine, "telegram")
        )
        senders["telegram"], bulk["telegram"] = (
            telegram.replies,
            TelegramBroadcastSender(telegram.sender),
        )
        channels.append((TELEGRAM_PATH, telegram))
        app[TELEGRAM_KEY] = telegram
    if settings.zalo_app_id is not None:
        from bot.zalo.broadcast import ZaloBroadcastSender
        from bot.zalo.channel import WEBHOOK_PATH as ZALO_PATH
        from bot.zalo.channel import ZaloChannel
        from coopbot.storage.tokens import SqlTokenStore

        zalo = ZaloChannel(settings, SqlTokenStore(engine), context=opened.context)
        senders["zalo"], bulk["zalo"] = zalo, ZaloBroadcastSender(zalo)
        channels.append((ZALO_PATH, zalo))
        app[ZALO_KEY] = zalo
    config = config or PipelineConfig(lease=settings.inbox_lease)
    pipeline = Pipeline(core, opened.inbox, senders, opened.contacts, config)
    app[PIPELINE_KEY] = pipeline
    add_routes(app, pipeline)
    add_admin(app, Admin.build(core, engine))
    add_ops_routes(app, engine, metrics)
    app.cleanup_ctx.append(retention_job(engine, settings.retention_days))
    for path, channel in channels:
        channel.pipeline = pipeline
        mount(app, path, channel)
    app.cleanup_ctx.append(_pipeline_lifecycle(pipeline))  # starts after, stops before channels
    if settings.broadcast_worker and bulk:
        run_worker(app, engine, settings, bulk, core.kb.messages("broadcast_footer"))
    errors = ErrorCounter(metrics)
    logging.getLogger().addHandler(errors)

    async def close(_app: web.Application) -> None:
        logging.getLogger().removeHandler(errors)
        await core.inquiries.close()
        await engine.dispose()

    app.on_cleanup.append(close)
    log.info("coopbot ready: %d FAQ entries", len(core.kb.entries))
    return app


def _pipeline_lifecycle(pipeline: Pipeline) -> Any:
    """A ``cleanup_ctx`` running the pipeline's workers while the server runs."""

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        await pipeline.start()
        yield
        await pipeline.close()

    return ctx


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
