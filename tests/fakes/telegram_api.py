"""A fake Telegram Bot API server on loopback, faithful where coopbot depends on it.

Same URL shape (``/bot<token>/<method>``), form or JSON parameters, result and error envelopes,
and limits: 4096 characters after entity parsing, callback data of 1-64 bytes, HTML entity
parsing errors, 429 with ``parameters.retry_after`` past 30 messages a second (and 20 a minute
in a group), 403 for chats that blocked the bot, 409 for getUpdates while a webhook is set,
401 for a wrong token. Webhook mode POSTs updates with X-Telegram-Bot-Api-Secret-Token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijk"  # well-formed, accepted by the fake
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
TAG = re.compile(r"<(/?)([a-z-]+)(\s[^<>]*)?>")


class ApiError(Exception):
    """An error envelope."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def parse_html(text: str) -> str:
    """The plain text of an HTML-formatted message, or ApiError as Telegram reports it."""
    plain: list[str] = []
    stack: list[str] = []
    i = 0
    raw = text.encode()
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = TAG.match(text, i)
            offset = len(text[:i].encode())
            if not m:
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unsupported start tag "
                    f"at byte offset {offset}",
                )
            closing, name = m.group(1), m.group(2)
            if name not in ALLOWED_TAGS:
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unsupported start tag "
                    f'"{name}" at byte offset {offset}',
                )
            if closing:
                if not stack or stack.pop() != name:
                    raise ApiError(
                        400,
                        "Bad Request: can't parse entities: Unmatched end tag "
                        f'at byte offset {offset}, expected "</{name}>"',
                    )
            else:
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = ENTITY.match(text, i)
            if not m:
                offset = len(text[:i].encode())
                raise ApiError(
                    400,
                    "Bad Request: can't parse entities: Character '&' is reserved "
                    f"and must be escaped with the corresponding HTML entity at "
                    f"byte offset {offset}",
                )
            plain.append("x")
            i = m.end()
        else:
            plain.append(ch)
            i += 1
    if stack:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding "
            f'to start tag "{stack[-1]}" at byte offset {len(raw)}',
        )
    return "".join(plain)


@dataclass
class SentMessage:
    """A message the bot sent."""

    chat_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    message_id: int
    at: float = field(default_factory=time.monotonic)

    def buttons(self) -> list[dict[str, Any]]:
        """Inline keyboard buttons, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b for row in rows for b in row]


class FakeBotAPI:
    """Start with ``await fake.start()``; ``fake.base_url`` is what TELEGRAM_API_BASE_URL takes."""

    def __init__(self, token: str, per_second: int = 30, group_per_minute: int = 20) -> None:
        self.token = token
        self.per_second, self.group_per_minute = per_second, group_per_minute
        self.sent: list[SentMessage] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.blocked: set[int] = set()
        self.commands: list[dict[str, Any]] = []
        self.callback_answers: list[str] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_statuses: list[int] = []
        self.rate_limited = 0
        self.hold_after: int | None = None  # past this many sent messages, sendMessage waits
        self.release = asyncio.Event()  # … until this is set
        self.held = 0
        self.held_requests: dict[int, web.Request] = {}
        self.dropped = 0
        self.replied: set[int] = set()
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1000
        self._next_message = 1
        self._new_update = asyncio.Event()
        self._window: deque[float] = deque()
        self._group_window: dict[int, deque[float]] = {}
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._pushes: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/bot`` (the token is appended by python-telegram-bot)."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        """Serve on an ephemeral loopback port."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Stop serving."""
        for task in list(self._pushes):
            task.cancel()
        await asyncio.gather(*self._pushes, return_exceptions=True)
        if self._http:
            await self._http.close()
        if self._runner:
            await self._runner.cleanup()

    # ----- what a test does -------------------------------------------------------------
    def text_update(self, chat_id: int, text: str, **extra: Any) -> dict[str, Any]:
        """A ``message`` update with text (or with ``extra`` fields instead)."""
        message = {
            "message_id": self._next_message,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {"id": abs(chat_id), "is_bot": False, "first_name": "Nông dân"},
        }
        self._next_message += 1
        if text:
            message["text"] = text
        message.update(extra)
        return {"message": message}

    def press_update(self, chat_id: int, data: str, message_id: int = 1) -> dict[str, Any]:
        """A ``callback_query`` update (a button press)."""
        return {
            "callback_query": {
                "id": f"cq{self._next_update}",
                "chat_instance": "ci",
                "data": data,
                "from": {"id": chat_id, "is_bot": False, "first_name": "Nông dân"},
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                },
            }
        }

    async def push(self, update: dict[str, Any], update_id: int | None = None) -> int:
        """Deliver an update: to the webhook if one is set, else to getUpdates."""
        if update_id is None:
            update_id = self._next_update
            self._next_update += 1
        update = {"update_id": update_id, **update}
        if self.webhook_url:
            await self._post_webhook(update)
        else:
            self._updates.append(update)
            self._new_update.set()
        return update_id

    async def _post_webhook(self, update: dict[str, Any]) -> None:
        """POST like Telegram: JSON body and the secret header."""
        headers = {"Content-Type": "application/json"}
        if self.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
        assert self._http is not None and self.webhook_url is not None
        async with self._http.post(
            self.webhook_url, data=json.dumps(update), headers=headers
        ) as resp:
            self.webhook_statuses.append(resp.status)

    def held_orphans(self) -> int:
        """Held sends whose client has gone (its process was killed)."""
        return sum(
            1
            for r in self.held_requests.values()
            if r.transport is None or r.transport.is_closing()
        )

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Messages sent to one chat, in order."""
        return [m for m in self.sent if m.chat_id == chat_id]

    async def wait_for(self, count: int, chat_id: int | None = None, within: float = 10) -> None:
        """Wait until at least ``count`` messages were sent (to ``chat_id``)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            have = len(self.sent if chat_id is None else self.messages_to(chat_id))
            if have >= count:
                return
            await asyncio.sleep(0.01)
        raise TimeoutError(f"only {len(self.sent)} messages sent, wanted {count}")

    # ----- the API ----------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.Response:
        """Route a Bot API call; errors become Telegram's envelope."""
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        if method.lower() == "sendmessage" and not await self._through_hold(request):
            return web.Response(status=499)  # the client went away before we processed it
        self.calls.append((method, params))
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status=404,
            )
        try:
            result = await handler(params)
        except ApiError as err:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": err.code,
                "description": err.description,
            }
            if err.retry_after is not None:
                body["parameters"] = {"retry_after": err.retry_after}
            return web.json_response(body, status=err.code)
        return web.json_response({"ok": True, "result": result})

    async def _through_hold(self, request: web.Request) -> bool:
        """Wait while held; False when the sender disconnected meanwhile (never processed)."""
        if self.hold_after is None or len(self.sent) < self.hold_after:
            return True
        self.held += 1
        self.held_requests[id(request)] = request
        try:
            await self.release.wait()
        finally:
            self.held -= 1
            self.held_requests.pop(id(request), None)
        transport = request.transport
        if transport is None or transport.is_closing():
            self.dropped += 1
            return False
        return True

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        """Form, multipart or JSON parameters; JSON-encoded values decoded."""
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data) if isinstance(data, dict) else {}
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in {**request.query, **form}.items():
            text = str(value)
            try:
                params[key] = json.loads(text) if text[:1] in "[{" else text
            except json.JSONDecodeError:
                params[key] = text
        return params

    async def _m_getme(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": 7000000001,
            "is_bot": True,
            "first_name": "Trợ lý HTX",
            "username": "coopbot_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getupdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(p.get("offset", 0) or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(p.get("timeout", 0) or 0)
        if not self._updates and timeout > 0:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        limit = int(p.get("limit", 100) or 100)
        return self._updates[:limit]

    async def _m_setwebhook(self, p: dict[str, Any]) -> bool:
        self.webhook_url = str(p["url"]) or None
        self.webhook_secret = p.get("secret_token") or None
        return True

    async def _m_deletewebhook(self, _p: dict[str, Any]) -> bool:
        self.webhook_url = self.webhook_secret = None
        return True

    async def _m_getwebhookinfo(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    async def _m_setmycommands(self, p: dict[str, Any]) -> bool:
        commands = p.get("commands") or []
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", "")) or not (
                1 <= len(c.get("description", "")) <= 256
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands = commands
        return True

    async def _m_sendchataction(self, p: dict[str, Any]) -> bool:
        self._check_chat(int(p["chat_id"]))
        self.chat_actions.append((int(p["chat_id"]), str(p["action"])))
        return True

    async def _m_answercallbackquery(self, p: dict[str, Any]) -> bool:
        self.callback_answers.append(str(p["callback_query_id"]))
        return True

    async def _m_sendmessage(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        self._check_chat(chat_id)
        self._check_rate(chat_id)
        text = self._check_text(p)
        msg = SentMessage(
            chat_id, text, p.get("parse_mode"), p.get("reply_markup"), self._next_message
        )
        self._next_message += 1
        self.sent.append(msg)
        self.replied.add(chat_id)
        return self._message_result(msg)

    async def _m_editmessagetext(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        self._check_chat(chat_id)
        text = self._check_text(p)
        for msg in self.sent:
            if msg.chat_id == chat_id and msg.message_id == int(p["message_id"]):
                if msg.text == text and msg.reply_markup == p.get("reply_markup"):
                    raise ApiError(400, "Bad Request: message is not modified")
                msg.text, msg.reply_markup = text, p.get("reply_markup")
                return self._message_result(msg)
        raise ApiError(400, "Bad Request: message to edit not found")

    def _check_chat(self, chat_id: int) -> None:
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _check_rate(self, chat_id: int) -> None:
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self.per_second:
            self.rate_limited += 1
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        if chat_id < 0:
            group = self._group_window.setdefault(chat_id, deque())
            while group and now - group[0] >= 60.0:
                group.popleft()
            if len(group) >= self.group_per_minute:
                self.rate_limited += 1
                wait = int(60 - (now - group[0])) + 1
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            group.append(now)
        self._window.append(now)

    @staticmethod
    def _check_text(p: dict[str, Any]) -> str:
        text = str(p.get("text", ""))
        plain = parse_html(text) if str(p.get("parse_mode", "")).upper() == "HTML" else text
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(plain) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        markup = p.get("reply_markup")
        if markup:
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(str(data).encode()) <= 64:
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return text

    @staticmethod
    def _message_result(msg: SentMessage) -> dict[str, Any]:
        result: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": int(time.time()),
            "text": msg.text,
            "chat": {"id": msg.chat_id, "type": "private" if msg.chat_id > 0 else "group"},
            "from": {"id": 7000000001, "is_bot": True, "first_name": "Trợ lý HTX"},
        }
        if msg.reply_markup:
            result["reply_markup"] = msg.reply_markup
        return result
