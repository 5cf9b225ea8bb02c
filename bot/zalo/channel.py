"""Zalo OA channel: signed webhook in, consultation messages out (Open API v3)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from bot.chunks import split_text
from bot.serial import KeyedSerialRunner
from bot.zalo.client import ZaloClient, ZaloConfig, ZaloError, ZaloTokens
from coopbot.config import Settings
from coopbot.core import Core
from coopbot.messages import IncomingMessage, Reply, UserKey
from coopbot.storage.channel_state import ContactStore, DedupStore
from coopbot.storage.chat_context import ChatContextStore, MemoryChatContextStore
from coopbot.storage.tokens import TokenPair, TokenStore

log = logging.getLogger(__name__)
CHANNEL = "zalo"
WEBHOOK_PATH = "/webhooks/zalo"
MAX_TEXT = 2000
MAX_BUTTONS = 5
FREE_REPLY_WINDOW = 48 * 3600.0
MAX_SKEW = 600.0  # seconds between the event's timestamp and now
PAYLOAD = "#cb:"  # oa.query.hide buttons send their payload back as the user's text
NON_TEXT = {
    "user_send_image",
    "user_send_sticker",
    "user_send_audio",
    "user_send_file",
    "user_send_location",
    "user_send_gif",
    "user_send_video",
    "user_send_link",
    "user_send_business_card",
}


def signature(app_id: str, raw: bytes, timestamp: str, oa_secret: str) -> str:
    """``sha256(app_id + body + timestamp + oa_secret_key)`` in hex (plain SHA-256, no HMAC)."""
    material = app_id.encode() + raw + timestamp.encode() + oa_secret.encode()
    return hashlib.sha256(material).hexdigest()


class ZaloChannel:
    """Owns the HTTP session, token rotation, per-user runner and the 48-hour reply window."""

    def __init__(
        self,
        settings: Settings,
        core: Core,
        dedup: DedupStore,
        contacts: ContactStore,
        tokens: TokenStore,
        clock: Callable[[], float] = time.time,
        context: ChatContextStore | None = None,
    ) -> None:
        for name in ("zalo_app_id", "zalo_oa_secret_key", "zalo_app_secret"):
            if getattr(settings, name) is None:
                raise ValueError(f"{name.upper()} is required for the Zalo channel")
        self.settings, self.core, self.dedup, self.contacts = settings, core, dedup, contacts
        self.token_store, self.clock = tokens, clock
        self.app_id = str(settings.zalo_app_id)
        oa_secret, app_secret = settings.zalo_oa_secret_key, settings.zalo_app_secret
        assert oa_secret is not None and app_secret is not None  # checked above
        self.oa_secret = oa_secret.get_secret_value()
        self.config = ZaloConfig(
            settings.zalo_api_base_url.rstrip("/"),
            settings.zalo_oauth_base_url.rstrip("/"),
            self.app_id,
            app_secret.get_secret_value(),
        )
        self.runner = KeyedSerialRunner()
        self.context = context or MemoryChatContextStore()  # reply target, listed options
        self.http: aiohttp.ClientSession | None = None
        self.client: ZaloClient | None = None

    async def start(self) -> None:
        """Open the session; store the environment's tokens unless a rotated pair exists."""
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        s = self.settings
        if s.zalo_access_token and s.zalo_refresh_token:
            await self.token_store.seed(
                TokenPair(
                    s.zalo_access_token.get_secret_value(),
                    s.zalo_refresh_token.get_secret_value(),
                    self.clock() + 3600,
                )
            )
        self.client = ZaloClient(
            self.http, self.config, ZaloTokens(self.token_store, self.http, self.config, self.clock)
        )

    async def stop(self) -> None:
        """Finish queued users, close the session."""
        await self.runner.close()
        if self.http is not None:
            await self.http.close()

    async def webhook(self, request: web.Request) -> web.Response:
        """Verify, deduplicate, queue; answer 200 at once (Zalo retries slow endpoints)."""
        raw = await request.read()
        try:
            event = json.loads(raw)
            if not isinstance(event, dict):
                raise ValueError("not an object")
        except ValueError:
            return web.Response(status=400, text="malformed event")
        timestamp = str(event.get("timestamp", ""))
        given = request.headers.get("X-ZEvent-Signature", "").removeprefix("mac=")
        expected = signature(str(event.get("app_id", "")), raw, timestamp, self.oa_secret)
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            return web.Response(status=401, text="bad signature")
        if str(event.get("app_id")) != self.app_id or not _fresh(timestamp, self.clock()):
            return web.Response(status=401, text="stale or foreign event")
        sender = str((event.get("sender") or {}).get("id", ""))
        if sender:
            self.runner.submit(sender, lambda: self._handle(event, sender))
        return web.Response(text="ok")

    async def _handle(self, event: dict[str, Any], sender: str) -> None:
        """One event for one user, in order."""
        name = str(event.get("event_name", ""))
        message = event.get("message") or {}
        msg_id = str(message.get("msg_id", "")) if isinstance(message, dict) else ""
        # Zalo retries events; those without a msg_id (follow…) are keyed by name, user and time
        key = msg_id or f"{name}:{sender}:{event.get('timestamp', '')}"
        if not await self.dedup.first_time(CHANNEL, key[:64]):
            return
        user = UserKey(CHANNEL, sender)
        if name == "unfollow":
            await self.contacts.set_active(CHANNEL, sender, False)
            return
        if name == "follow":
            await self.contacts.set_active(CHANNEL, sender, True)
            incoming = IncomingMessage(user, text="/start")
        elif name == "user_send_text":
            if msg_id:
                await self.context.update(CHANNEL, sender, reply=(msg_id, self.clock()))
            incoming = await self._from_text(user, str(message.get("text", "")))
        elif name in NON_TEXT:
            if msg_id:
                await self.context.update(CHANNEL, sender, reply=(msg_id, self.clock()))
            incoming = IncomingMessage(user, kind="other")
        else:
            if not name.startswith("oa_send"):
                log.info("ignoring zalo event %s", name)
            return
        for reply in await self.core.handle(incoming):
            ok = await self.send(sender, reply)
            self.core.observer.sent(CHANNEL, "sent" if ok else "failed")

    async def _from_text(self, user: UserKey, text: str) -> IncomingMessage:
        """Typed text, a hidden-query button payload, or a number picking a listed option."""
        if text.startswith(PAYLOAD):
            return IncomingMessage(user, payload=text[len(PAYLOAD) :], kind="payload")
        if not text.strip().isdigit():
            return IncomingMessage(user, text=text)
        listed = (await self.context.get(CHANNEL, user.user_id)).options
        if text.strip().isdigit() and 1 <= int(text.strip()) <= len(listed):
            return IncomingMessage(user, payload=listed[int(text.strip()) - 1], kind="payload")
        return IncomingMessage(user, text=text)

    async def recipient(self, user_id: str) -> dict[str, str]:
        """Reply to the user's last message inside 48 hours (free), else by user id."""
        ctx = await self.context.get(CHANNEL, user_id)
        if ctx.reply_msg_id and self.clock() - ctx.reply_at < FREE_REPLY_WINDOW:
            return {"message_id": ctx.reply_msg_id}
        return {"user_id": user_id}

    async def send(self, user_id: str, reply: Reply) -> bool:
        """Text chunks; up to five buttons, or a numbered list for more."""
        assert self.client is not None, "start() first"
        text = reply.text
        buttons = list(reply.buttons)
        attachment = None
        if len(buttons) > MAX_BUTTONS:
            text += "\n\n" + "\n".join(f"{i}. {b.label}" for i, b in enumerate(buttons, 1))
            await self.context.update(CHANNEL, user_id, options=tuple(b.payload for b in buttons))
        elif buttons:
            await self.context.update(CHANNEL, user_id, options=())
            attachment = {
                "type": "template",
                "payload": {
                    "buttons": [
                        {
                            "title": b.label[:100],
                            "type": "oa.query.hide",
                            "payload": PAYLOAD + b.payload,
                        }
                        for b in buttons
                    ]
                },
            }
        chunks = split_text(text, MAX_TEXT)
        target = await self.recipient(user_id)
        for i, chunk in enumerate(chunks):
            message: dict[str, Any] = {"text": chunk}
            if attachment and i == len(chunks) - 1:
                message["attachment"] = attachment
            try:
                await self.client.send(target, message)
            except ZaloError as exc:
                log.warning("zalo send failed: %s", exc)
                return False
            except (TimeoutError, aiohttp.ClientError) as exc:
                log.warning("zalo unreachable: %s", exc)
                return False
        return True


def _fresh(timestamp: str, now: float) -> bool:
    """The event's millisecond timestamp is within MAX_SKEW of now."""
    try:
        return abs(int(timestamp) / 1000 - now) <= MAX_SKEW
    except ValueError:
        return False
