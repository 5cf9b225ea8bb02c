"""Zalo OA channel: signed webhook in, consultation messages out (Open API v3).

The webhook verifies the signature, validates and translates the event, commits it to the
inbox and only then answers 200 (503 while the database is down: Zalo retries). The pipeline
works the user's events off in order; ``prepare`` resolves a typed number against the options
listed last (per-chat state, so it runs in order, at processing time).

Wire format, checked against (see also ``bot/zalo/client.py``):
- zaloplatform/zalo-php-sdk ``src/Builder/MessageBuilder.php`` (official SDK, v3 support,
  last commit 2023-12): a ``text`` message builds ``{"recipient", "message": {"text"}}`` only;
  ``withButton`` (buttons on text) is marked "does not support for Official Account API V3";
  v3 buttons exist only in the transaction and promotion templates (``addButton``).
- zaloplatform/ZaloDotNetSDK ``src/sdk/oa/ZaloClient.cs`` (official, "Big update for official
  account api v3", 2023-06) and zaloplatform/zalo-java-sdk ``src/test/java/v3/*CSMessage.java``:
  every v3 consultation message goes to ``recipient.user_id``; ``recipient.message_id`` and the
  button template appear only in the v2 methods (``/v2.0/oa/message``, shut down: error -240).
- docs.zaloplatforms.com/docs/OA/tin-nhan/tin-tu-van/gui-tin-tu-van-dang-van-ban and
  .../tin-nhan/tong-quan (Zalo's document hub, quoted in a public research note): request
  ``{"recipient": {"user_id"}, "message": {"text"}}``, text up to 2,000 characters; a
  consultation message is free within 48 hours of the user's last interaction, whoever it
  is addressed to (so no ``message_id`` is needed to reply for free).
So replies go to ``user_id`` as plain text, and buttons become a numbered list the user answers
by typing the number (``prepare``). Webhook: header ``X-ZEvent-Signature`` =
``sha256(app_id + raw body + timestamp + OA secret key)`` in hex, the timestamp taken from the
body (hainh.me "Zalo API – PHP webhook" and hoangnd25/monorepo wip/zalo-platform-integration.md
agree; the official page itself was not reachable); ``follow``/``unfollow`` name the user in
``follower.id`` (several integrations; some also send ``sender``), messages in ``sender.id``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import web

from bot.chunks import split_text
from bot.zalo.client import ZaloClient, ZaloConfig, ZaloError, ZaloTokens
from coopbot.broadcast.model import Outcome, SendResult
from coopbot.config import Settings
from coopbot.inbound.envelope import Envelope
from coopbot.inbound.pipeline import Pipeline
from coopbot.messages import IncomingMessage, Reply, UserKey
from coopbot.storage.chat_context import ChatContextStore, MemoryChatContextStore
from coopbot.storage.inbox import Claimed
from coopbot.storage.tokens import TokenPair, TokenStore

log = logging.getLogger(__name__)
CHANNEL = "zalo"
WEBHOOK_PATH = "/webhooks/zalo"
MAX_TEXT = 2000
MAX_ID = 64  # characters of a user or message id (Zalo's are 19-digit numbers)
MAX_SKEW = 600.0  # seconds between the event's timestamp and now
TURN = "#turn:"  # first stored option: the update whose replies share one numbering
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
NOT_FOLLOWING = {-213}


class BadEvent(ValueError):
    """The body is not a Zalo event coopbot can read."""


def signature(app_id: str, raw: bytes, timestamp: str, oa_secret: str) -> str:
    """``sha256(app_id + body + timestamp + oa_secret_key)`` in hex (plain SHA-256, no HMAC)."""
    material = app_id.encode() + raw + timestamp.encode() + oa_secret.encode()
    return hashlib.sha256(material).hexdigest()


def _ident(value: Any, what: str) -> str:
    """A Zalo id: a string or an integer, kept as a string."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadEvent(f"{what} must be a string id")
    text = str(value)
    if not text or len(text) > MAX_ID:
        raise BadEvent(f"{what} must be a non-empty id")
    return text


def envelope(event: dict[str, Any]) -> Envelope | None:
    """The envelope of one verified event; None for events coopbot does not answer."""
    name = event.get("event_name")
    if not isinstance(name, str):
        raise BadEvent("event_name must be a string")
    sender_obj = event.get("sender")
    if name in ("follow", "unfollow") and not isinstance(sender_obj, dict):
        sender_obj = event.get("follower")  # (un)follow events name the user as the follower
    if not isinstance(sender_obj, dict):
        raise BadEvent("sender must be an object")
    sender = _ident(sender_obj.get("id"), "sender.id")
    message = event.get("message") or {}
    if not isinstance(message, dict):
        raise BadEvent("message must be an object")
    msg_id = _ident(message["msg_id"], "msg_id") if message.get("msg_id") else ""
    stamp = str(event.get("timestamp", ""))
    dedupe = msg_id or f"{name}:{sender}:{stamp}"  # follow… have no msg_id
    user = UserKey(CHANNEL, sender)
    context = {"turn": dedupe}  # the replies to one update are numbered as one list
    seq = int(_seconds(stamp) * 1000)
    if name == "follow":
        return Envelope(dedupe, sender, IncomingMessage(user, text="/start"), context, seq)
    if name == "unfollow":
        return Envelope(dedupe, sender, IncomingMessage(user, kind="unfollow"), seq=seq)
    if name == "user_send_text":
        text = message.get("text", "")
        if not isinstance(text, str):
            raise BadEvent("message.text must be a string")
        return Envelope(dedupe, sender, IncomingMessage(user, text=text), context, seq)
    if name in NON_TEXT:
        return Envelope(dedupe, sender, IncomingMessage(user, kind="other"), context, seq)
    if not name.startswith("oa_send"):
        log.info("ignoring zalo event %s", name[:40])
    return None


def _seconds(stamp: str) -> float:
    """Zalo's millisecond timestamp in seconds (0 when unreadable)."""
    return int(stamp) / 1000 if stamp.isdigit() and len(stamp) < 16 else 0.0


class ZaloChannel:
    """Owns the HTTP session and token rotation; the webhook feeds the pipeline."""

    channel = CHANNEL

    def __init__(
        self,
        settings: Settings,
        tokens: TokenStore,
        clock: Callable[[], float] = time.time,
        context: ChatContextStore | None = None,
    ) -> None:
        for name in ("zalo_app_id", "zalo_oa_secret_key", "zalo_app_secret"):
            if getattr(settings, name) is None:
                raise ValueError(f"{name.upper()} is required for the Zalo channel")
        self.settings, self.token_store, self.clock = settings, tokens, clock
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
        self.context = context or MemoryChatContextStore()  # reply target, listed options
        self.pipeline: Pipeline | None = None  # set by the server before start
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
        """Close the session (the pipeline, stopped first, finished or kept queued events)."""
        if self.http is not None:
            await self.http.close()

    async def webhook(self, request: web.Request) -> web.Response:
        """Verify, validate, commit; 200 only once the event is stored."""
        raw = await request.read()
        try:
            event = json.loads(raw)
            if not isinstance(event, dict):
                raise BadEvent("not an object")
        except (ValueError, RecursionError):
            return web.Response(status=400, text="malformed event")
        timestamp = str(event.get("timestamp", ""))[:20]
        header = request.headers.get("X-ZEvent-Signature", "").removeprefix("mac=")
        given = header.encode("utf-8", "surrogateescape")
        expected = signature(str(event.get("app_id", ""))[:64], raw, timestamp, self.oa_secret)
        if not given or not hmac.compare_digest(given, expected.encode()):
            return web.Response(status=401, text="bad signature")
        if str(event.get("app_id")) != self.app_id or not _fresh(timestamp, self.clock()):
            return web.Response(status=401, text="stale or foreign event")
        try:
            env = envelope(event)
        except BadEvent as exc:
            return web.Response(status=400, text=f"malformed event: {exc}")
        if env is None:
            return web.Response(text="ok")
        assert self.pipeline is not None, "the server wires the pipeline before start"
        try:
            await self.pipeline.accept(env)
        except Exception as exc:  # not stored: do not acknowledge, Zalo will retry
            log.warning("could not store a zalo event: %s", exc)
            return web.Response(status=503, text="busy, retry later")
        return web.Response(text="ok")

    async def prepare(self, item: Claimed) -> IncomingMessage | None:
        """A typed number picks the option listed last (options are sent as a numbered list)."""
        text = (item.message.text or "").strip()
        if not (text.isdigit() and len(text) <= 3):
            return item.message
        listed = _payloads((await self.context.get(CHANNEL, item.chat)).options)
        if 1 <= int(text) <= len(listed):
            payload = listed[int(text) - 1]
            return IncomingMessage(item.message.user, payload=payload, kind="payload")
        return item.message

    @staticmethod
    def recipient(user_id: str) -> dict[str, str]:
        """Every v3 consultation message goes to the user id (see the module notes)."""
        return {"user_id": user_id}

    async def send(
        self, chat: str, reply: Reply, context: Mapping[str, Any] | None = None
    ) -> SendResult:
        """Text chunks of at most 2,000 characters; buttons as a numbered list."""
        assert self.client is not None, "start() first"
        text = await self._layout(chat, reply, str((context or {}).get("turn", "")))
        for chunk in split_text(text, MAX_TEXT):
            try:
                await self.client.send(self.recipient(chat), {"text": chunk})
            except ZaloError as exc:
                log.warning("zalo send failed: %s", exc)
                outcome = Outcome.BLOCKED if exc.code in NOT_FOLLOWING else Outcome.FAILED
                return SendResult(outcome, detail=str(exc))
            except (TimeoutError, aiohttp.ClientError) as exc:
                log.warning("zalo unreachable: %s", exc)
                return SendResult(Outcome.RETRY, detail="network")
        return SendResult(Outcome.SENT)

    async def _layout(self, chat: str, reply: Reply, turn: str = "") -> str:
        """The text, with the buttons as a numbered list whose payloads ``prepare`` reads back
        (v3 consultation messages carry no buttons). The replies to one update (``turn``)
        continue one numbering, so a menu and an offer sent together never both have a "1"."""
        if not reply.buttons:
            return reply.text
        listed: tuple[str, ...] = ()
        if turn:
            stored = (await self.context.get(CHANNEL, chat)).options
            listed = _payloads(stored) if stored[:1] == (TURN + turn,) else ()
        new = tuple(b.payload for b in reply.buttons)
        if listed[-len(new) :] == new:  # this reply is being sent again (a retry): same numbers
            listed = listed[: -len(new)]
        head = (TURN + turn,) if turn else ()
        await self.context.update(CHANNEL, chat, options=(*head, *listed, *new))
        first = len(listed) + 1
        listing = [f"{i}. {b.label}" for i, b in enumerate(reply.buttons, first)]
        hint = [self._hint()] if self.pipeline else []
        return "\n".join([reply.text, "", *hint, *listing])

    def _hint(self) -> str:
        """The line before a numbered list ("Gõ số để chọn:"), from the knowledge base."""
        assert self.pipeline is not None
        return self.pipeline.core.kb.messages("zalo_pick_hint")


def _payloads(stored: tuple[str, ...]) -> tuple[str, ...]:
    """The listed payloads, without the turn marker."""
    return stored[1:] if stored[:1] and stored[0].startswith(TURN) else stored


def _fresh(timestamp: str, now: float) -> bool:
    """The event's millisecond timestamp is within MAX_SKEW of now."""
    try:
        return abs(int(timestamp) / 1000 - now) <= MAX_SKEW
    except ValueError:
        return False
