"""Telegram channel: python-telegram-bot's Bot inside our aiohttp server.

Webhook mode: ``POST /webhooks/telegram`` checks the secret, validates and translates the
update, commits it to the inbox and only then answers 200 (503 while the database is down, so
Telegram retries). Polling mode (development): ``getUpdates`` pages are committed to the inbox
before the next call's offset confirms them to Telegram. The pipeline does the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from telegram import Bot, BotCommand
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot.telegram.pacer import Pacer
from bot.telegram.sender import Sent, TelegramSender
from bot.telegram.wire import CHANNEL, BadUpdate, envelope
from coopbot.broadcast.model import Outcome, SendResult
from coopbot.config import Settings
from coopbot.inbound.envelope import Envelope
from coopbot.inbound.pipeline import Pipeline
from coopbot.knowledge.model import KnowledgeBase
from coopbot.messages import IncomingMessage, Reply
from coopbot.storage.channel_state import ContactStore
from coopbot.storage.inbox import Claimed
from coopbot.storage.presence import Presence

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/webhooks/telegram"
BEAT_SECONDS = 5.0  # worker presence heartbeat (shares the send limit between processes)
POLL_TIMEOUT = 30  # seconds of a long poll
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
MAX_BODY = 1024 * 1024
BASE_COMMANDS = [
    ("start", "Giới thiệu trợ lý"),
    ("help", "Hướng dẫn hỏi đáp"),
    ("menu", "Các bài kiểm tra, tự đánh giá"),
    ("huy", "Dừng bài đang làm"),
    ("quaylai", "Sửa câu trả lời trước"),
    ("xoadulieu", "Xoá dữ liệu của bạn"),
]
OUTCOMES = {
    Sent.SENT: Outcome.SENT,
    Sent.BLOCKED: Outcome.BLOCKED,
    Sent.FAILED: Outcome.FAILED,
    Sent.RETRY: Outcome.RETRY,
}


def bot_for(settings: Settings) -> Bot:
    """The Bot API client (a pooled HTTP client; long polls get their own read timeout)."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required for the Telegram channel")
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # durations as timedelta, no deprecation
    base = settings.telegram_api_base_url or "https://api.telegram.org/bot"
    return Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=base,
        request=HTTPXRequest(connection_pool_size=64, read_timeout=15),
        get_updates_request=HTTPXRequest(read_timeout=POLL_TIMEOUT + 10),
    )


class TelegramReplies:
    """The pipeline's sender for Telegram: paced sends, 429 waits, 403 marks the contact."""

    channel = CHANNEL

    def __init__(self, sender: TelegramSender) -> None:
        self.sender = sender

    async def prepare(self, item: Claimed) -> IncomingMessage | None:
        """Telegram messages need no per-chat translation."""
        return item.message

    async def send(self, chat: str, reply: Reply, context: Mapping[str, Any]) -> SendResult:
        """One reply, in as many messages as its length needs."""
        result = await self.sender.send(int(chat), reply)
        return SendResult(OUTCOMES[result], detail="" if result is Sent.SENT else result.value)


class TelegramChannel:
    """Owns the Bot, the paced sender, the presence beat and the polling loop."""

    def __init__(
        self,
        settings: Settings,
        kb: KnowledgeBase,
        contacts: ContactStore,
        pacer: Pacer | None = None,
        presence: Presence | None = None,
    ) -> None:
        self.settings, self.kb, self.presence = settings, kb, presence
        self.bot = bot_for(settings)
        self.webhook_mode = bool(settings.telegram_webhook_url)
        pacer = pacer or Pacer(per_second=settings.telegram_send_rate)
        self.sender = TelegramSender(self.bot, contacts, pacer)
        self.replies = TelegramReplies(self.sender)
        self.pipeline: Pipeline | None = None  # set by the server before start
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        """Initialise, register commands, then set the webhook or start polling."""
        if self.presence is not None:
            await self._share_limit()
            self._own(self._share_limit_forever())
        await self.bot.initialize()
        await self._set_commands()
        if self.webhook_mode:
            secret = self.settings.telegram_webhook_secret
            await self.bot.set_webhook(
                str(self.settings.telegram_webhook_url),
                allowed_updates=ALLOWED_UPDATES,
                secret_token=secret.get_secret_value() if secret else None,
            )
        else:
            await self.bot.delete_webhook()
            self._own(self._poll_forever())
        log.info("telegram channel started (%s)", "webhook" if self.webhook_mode else "polling")

    async def stop(self) -> None:
        """Cancel polling, side calls and the beat; leave presence; close the client."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.presence is not None:
            try:
                await self.presence.leave()
            except Exception:  # shutting down anyway; the row expires after presence.TTL
                log.exception("leaving worker presence failed")
        await self.bot.shutdown()

    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /webhooks/telegram``: 200 only once the update is committed."""
        secret = self.settings.telegram_webhook_secret
        if secret is not None:
            given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
            if not hmac.compare_digest(given, secret.get_secret_value().encode()):
                return web.Response(status=403, text="forbidden")
        try:
            body = json.loads(await request.read())
            env = envelope(body)
        except (ValueError, RecursionError, BadUpdate) as exc:
            return web.Response(status=400, text=f"malformed update: {str(exc)[:80]}")
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="update too large")
        if env is not None and not await self._accept(env):
            return web.Response(status=503, text="busy, retry later")
        return web.Response(text="ok")

    async def _accept(self, env: Envelope) -> bool:
        """Commit to the inbox (False when the database is down); then the side calls."""
        assert self.pipeline is not None, "the server wires the pipeline before start"
        try:
            fresh = await self.pipeline.accept(env)
        except Exception as exc:  # not stored: do not acknowledge, Telegram will retry
            log.warning("could not store a telegram update: %s", exc)
            return False
        if fresh:
            callback = env.context.get("callback")
            if callback:
                self._own(self._quiet(self.bot.answer_callback_query(str(callback))))
            self._own(self._quiet(self.bot.send_chat_action(int(env.chat), "typing")))
        return True

    async def _poll_forever(self) -> None:
        """Long-poll; a page is confirmed (next offset) only after all of it is committed."""
        offset = 0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
                )
            except TelegramError as exc:
                log.warning("getUpdates failed: %s", exc)
                await asyncio.sleep(2.0)
                continue
            for update in updates:
                if not await self._accept_polled(update.to_dict()):
                    await asyncio.sleep(2.0)  # database down: this page stays unconfirmed
                    break
                offset = update.update_id + 1

    async def _accept_polled(self, data: dict[str, Any]) -> bool:
        """Translate and commit one polled update (a malformed one is skipped)."""
        try:
            env = envelope(data)
        except BadUpdate as exc:
            log.warning("skipping a malformed polled update: %s", exc)
            return True
        return env is None or await self._accept(env)

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
        flows = [(f.command, f.title) for f in self.kb.flows.values()]
        commands = [
            BotCommand(c, d[:256]) for c, d in BASE_COMMANDS[:3] + flows + BASE_COMMANDS[3:]
        ]
        try:
            await self.bot.set_my_commands(commands)
        except TelegramError as exc:
            log.warning("setMyCommands failed: %s", exc)

    def _own(self, coro: Any) -> None:
        """Run ``coro`` in a task this channel owns (cancelled on stop)."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _quiet(coro: Any) -> None:
        """Await a best-effort call, logging Telegram errors instead of raising."""
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await coro
            except TelegramError as exc:
                log.info("telegram side call failed: %s", exc)
