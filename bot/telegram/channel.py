"""Telegram channel: python-telegram-bot inside our aiohttp server (webhook) or polling (dev)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
from typing import Any

from aiohttp import web
from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

from bot.serial import KeyedSerialRunner
from bot.telegram.convert import CHANNEL, CallbackData, Inbound, inbound
from bot.telegram.pacer import Pacer
from bot.telegram.sender import TelegramSender
from coopbot.broadcast.compose import PREFIX as COMPOSE_PREFIX
from coopbot.broadcast.compose import Composer
from coopbot.config import Settings
from coopbot.core import Core
from coopbot.messages import Reply
from coopbot.storage.channel_state import ContactStore, DedupStore
from coopbot.storage.presence import Presence

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/webhooks/telegram"
BEAT_SECONDS = 5.0  # worker presence heartbeat (shares the send limit between processes)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
BASE_COMMANDS = [
    ("start", "Giới thiệu trợ lý"),
    ("help", "Hướng dẫn hỏi đáp"),
    ("menu", "Các bài kiểm tra, tự đánh giá"),
    ("huy", "Dừng bài đang làm"),
    ("quaylai", "Sửa câu trả lời trước"),
    ("xoadulieu", "Xoá dữ liệu của bạn"),
]


class TelegramChannel:
    """Owns the PTB Application, the per-chat runner and the sender; started and stopped once."""

    def __init__(
        self,
        settings: Settings,
        core: Core,
        dedup: DedupStore,
        contacts: ContactStore,
        pacer: Pacer | None = None,
        composer: Composer | None = None,
        presence: Presence | None = None,
    ) -> None:
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is required for the Telegram channel")
        os.environ.setdefault("PTB_TIMEDELTA", "true")  # durations as timedelta, no deprecation
        self.settings = settings
        self.core = core
        self.dedup = dedup
        self.contacts = contacts
        self.composer = composer
        self.presence = presence
        self.officers = settings.officer_ids
        self.webhook_mode = bool(settings.telegram_webhook_url)
        builder = (
            Application.builder()
            .token(settings.telegram_bot_token.get_secret_value())
            .request(HTTPXRequest(connection_pool_size=64, read_timeout=15))
            .get_updates_request(HTTPXRequest(read_timeout=40))
            .concurrent_updates(True)
        )
        if settings.telegram_api_base_url:
            builder = builder.base_url(settings.telegram_api_base_url)
        if self.webhook_mode:
            builder = builder.updater(None)
        self.app = builder.build()
        self.app.add_handler(TypeHandler(Update, self._on_polled))
        self.callbacks = CallbackData()
        pacer = pacer or Pacer(per_second=settings.telegram_send_rate)
        self.sender = TelegramSender(self.app.bot, contacts, pacer, self.callbacks)
        self.runner = KeyedSerialRunner()
        self._side_tasks: set[asyncio.Task[Any]] = set()
        self._known_active: set[int] = set()
        self.sender.on_blocked = self._known_active.discard

    async def start(self) -> None:
        """Initialise, register commands, then set the webhook or start polling."""
        if self.presence is not None:
            await self._share_limit()
            self._background(self._share_limit_forever())
        await self.app.initialize()
        await self._set_commands()
        if self.webhook_mode:
            secret = self.settings.telegram_webhook_secret
            await self.app.bot.set_webhook(
                str(self.settings.telegram_webhook_url),
                allowed_updates=ALLOWED_UPDATES,
                secret_token=secret.get_secret_value() if secret else None,
            )
        elif self.app.updater is not None:
            await self.app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await self.app.start()
        log.info("telegram channel started (%s)", "webhook" if self.webhook_mode else "polling")

    async def stop(self) -> None:
        """Stop polling, finish queued chats, cancel side tasks, shut PTB down."""
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        await self.runner.close()
        for task in list(self._side_tasks):
            task.cancel()
        await asyncio.gather(*self._side_tasks, return_exceptions=True)
        if self.presence is not None:
            try:
                await self.presence.leave()
            except Exception:  # shutting down anyway; the row expires after presence.TTL
                log.exception("leaving worker presence failed")
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def _share_limit(self) -> None:
        """Send at 1/N of the bot's limit when N workers are live on this token."""
        assert self.presence is not None
        self.sender.pacer.share(await self.presence.beat())

    async def _share_limit_forever(self) -> None:
        """Beat every few seconds; a database hiccup keeps the last share."""
        while True:
            await asyncio.sleep(BEAT_SECONDS)
            try:
                await self._share_limit()
            except Exception:  # keep the current share; try again next beat
                log.exception("worker presence beat failed")

    async def _set_commands(self) -> None:
        """Vietnamese command list, including one command per questionnaire."""
        flows = [(f.command, f.title) for f in self.core.kb.flows.values()]
        commands = [
            BotCommand(c, d[:256]) for c, d in BASE_COMMANDS[:3] + flows + BASE_COMMANDS[3:]
        ]
        try:
            await self.app.bot.set_my_commands(commands)
        except TelegramError as exc:
            log.warning("setMyCommands failed: %s", exc)

    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /webhooks/telegram``: check the secret, queue the update, answer at once."""
        secret = self.settings.telegram_webhook_secret
        if secret is not None:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
                return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400, text="malformed update")
        if update is not None:
            self.receive(update)
        return web.Response(text="ok")

    async def _on_polled(self, update: object, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB handler for polling mode."""
        if isinstance(update, Update):
            self.receive(update)

    def receive(self, update: Update) -> None:
        """Queue an update on its chat's runner (order kept per chat, chats in parallel)."""
        item = inbound(update, self.callbacks)
        if item is None:
            return
        key = str(item.chat_id)
        self.runner.submit(key, lambda: self._handle(update.update_id, item))

    async def _handle(self, update_id: int, item: Inbound) -> None:
        """Dedupe, acknowledge a button, show typing, ask the core, send the replies."""
        if not await self.dedup.first_time(CHANNEL, str(update_id)):
            return
        bot = self.app.bot
        if item.callback_id is not None:
            self._background(bot.answer_callback_query(item.callback_id))
        self._background(bot.send_chat_action(item.chat_id, "typing"))
        if (
            item.chat_id not in self._known_active
        ):  # one write per chat per process, not per message
            await self.contacts.set_active(CHANNEL, str(item.chat_id), True)
            self._known_active.add(item.chat_id)
        replies = await self._officer(item)
        if replies is None:
            replies = await self.core.handle(item.message)
        for reply in replies:
            sent = await self.sender.send(item.chat_id, reply)
            self.core.observer.sent(CHANNEL, sent.value)

    async def _officer(self, item: Inbound) -> list[Reply] | None:
        """``/thongbao`` and its buttons, for officers only (others get the core's answer)."""
        msg = item.message
        if self.composer is None or int(msg.user.user_id) not in self.officers:
            return None
        if msg.payload is not None and msg.payload.startswith(COMPOSE_PREFIX):
            return await self.composer.press(msg.payload)
        text = (msg.text or "").strip()
        if text.split(maxsplit=1)[:1] in (["/thongbao"], [f"/thongbao@{self._username()}"]):
            return await self.composer.command(text, f"telegram:{msg.user.user_id}")
        return None

    def _username(self) -> str:
        """The bot's username once initialised (for ``/thongbao@bot`` in groups)."""
        try:
            return str(self.app.bot.username)
        except RuntimeError:
            return ""

    def _background(self, coro: Any) -> None:
        """Fire a best-effort call in an owned task (cancelled on stop, errors logged)."""
        task = asyncio.create_task(self._quiet(coro))
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    @staticmethod
    async def _quiet(coro: Any) -> None:
        """Await, logging Telegram errors instead of raising."""
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await coro
            except TelegramError as exc:
                log.info("telegram side call failed: %s", exc)
