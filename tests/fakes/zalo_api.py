"""A fake Zalo Official Account Open API (v3 messages, v4 OAuth) on loopback.

Shaped as the sources cited in ``bot/zalo/channel.py`` and ``bot/zalo/client.py`` describe it:
``access_token`` header (``-216`` "Access token is invalid", ``-220`` "access_token is expired
or removed", in Zalo's ``{"error", "message"}`` shape); a v3 consultation message is
``{"recipient": {"user_id"}, "message": {"text"}}`` with at most 2,000 characters, anything
else (a ``message_id`` recipient, a button attachment: v2 only) is refused with ``-201``
"<field> is invalid!" (the code is Zalo's for a bad parameter; which one the real API picks
for these was not confirmed); a user who does not follow the OA answers ``-213``. Refresh
tokens rotate once only (a spent one answers ``-14014``, an unconfirmed code). ``signed()``
builds webhook events signed as Zalo signs them.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from typing import Any

from aiohttp import web


class FakeZaloAPI:
    """Serve with ``await fake.start()``; ``fake.url`` is both ZALO_API_BASE_URL and OAUTH."""

    def __init__(self, app_id: str, app_secret: str, oa_secret: str) -> None:
        self.app_id, self.app_secret, self.oa_secret = app_id, app_secret, oa_secret
        self.access_token, self.refresh_token = "AT-1", "RT-1"
        self.expired = False
        self.hold = False  # while True, message sends wait for ``release``
        self.release = asyncio.Event()
        self.held = 0
        self.held_requests: dict[int, web.Request] = {}
        self.dropped = 0  # held sends whose client went away: never processed
        self.spent_refresh: set[str] = set()
        self.refreshes = 0
        self.sent: list[dict[str, Any]] = []
        self.unfollowed: set[str] = set()  # sends to them answer -213
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL for both hosts."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on an ephemeral loopback port."""
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._message)
        app.router.add_post("/v4/oa/access_token", self._token)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stop."""
        if self._runner:
            await self._runner.cleanup()

    def signed(
        self, event: dict[str, Any], secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Body and headers of a webhook POST, signed like Zalo (or with another secret)."""
        event = {"app_id": self.app_id, "timestamp": str(int(time.time() * 1000)), **event}
        raw = json.dumps(event, ensure_ascii=False).encode()
        material = (
            str(event["app_id"]).encode()
            + raw
            + str(event["timestamp"]).encode()
            + (secret or self.oa_secret).encode()
        )
        mac = hashlib.sha256(material).hexdigest()
        return raw, {"X-ZEvent-Signature": f"mac={mac}", "Content-Type": "application/json"}

    @staticmethod
    def text_event(user_id: str, text: str, msg_id: str) -> dict[str, Any]:
        """A user_send_text event."""
        return {
            "event_name": "user_send_text",
            "sender": {"id": user_id},
            "recipient": {"id": "4368496045530508848"},
            "message": {"text": text, "msg_id": msg_id},
            "user_id_by_app": "app-" + user_id,
        }

    def held_orphans(self) -> int:
        """Held sends whose client has gone (its process was killed)."""
        return sum(
            1
            for r in self.held_requests.values()
            if r.transport is None or r.transport.is_closing()
        )

    def to(self, user_id: str) -> list[dict[str, Any]]:
        """Messages sent to a user."""
        return [s for s in self.sent if s["user_id"] == user_id]

    async def _message(self, request: web.Request) -> web.Response:
        if self.hold:
            self.held += 1
            self.held_requests[id(request)] = request
            try:
                await self.release.wait()
            finally:
                self.held -= 1
                self.held_requests.pop(id(request), None)
            if request.transport is None or request.transport.is_closing():
                self.dropped += 1
                return web.Response(status=499)  # the client went away before we processed it
        token = request.headers.get("access_token", "")
        if token != self.access_token:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        if self.expired:
            return web.json_response(
                {"error": -220, "message": "access_token is expired or removed"}
            )
        body = await request.json()
        message, recipient = body.get("message", {}), body.get("recipient", {})
        for name, value, allowed in (
            ("recipient", recipient, {"user_id"}),
            ("message", message, {"text"}),
        ):
            if not isinstance(value, dict) or set(value) != allowed:
                return web.json_response({"error": -201, "message": f"{name} is invalid!"})
        text, user = message["text"], str(recipient["user_id"])
        if not isinstance(text, str) or not text or len(text) > 2000:
            return web.json_response({"error": -201, "message": "text is invalid!"})
        if user in self.unfollowed:
            return web.json_response({"error": -213, "message": "User has not followed OA"})
        self.sent.append({"recipient": recipient, "text": text, "user_id": user})
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {"message_id": f"m{next(self._ids)}", "user_id": user},
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if (
            request.headers.get("secret_key") != self.app_secret
            or form.get("app_id") != self.app_id
        ):
            return web.json_response({"error": -14002, "error_name": "Invalid app secret"})
        given = str(form.get("refresh_token", ""))
        if form.get("grant_type") != "refresh_token" or given != self.refresh_token:
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        self.spent_refresh.add(given)
        self.refreshes += 1
        self.access_token = f"AT-{self.refreshes + 1}"
        self.refresh_token = f"RT-{self.refreshes + 1}"
        self.expired = False
        return web.json_response(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": "90000",
            }
        )
