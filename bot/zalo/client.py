"""Zalo Official Account Open API v3 client (aiohttp, no SDK): messages and token rotation."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from coopbot.errors import CoopbotError
from coopbot.storage.tokens import TokenPair, TokenStore

log = logging.getLogger(__name__)
# -216 "Access token is invalid", -220 "access_token is expired or removed": Zalo's error table
# (docs.zaloplatforms.com/docs/OA/phu-luc/ma-loi, quoted in a public research note; the same
# codes in hoangnd25/monorepo wip/zalo-platform-integration.md). -124 was from notes: it is
# not in that table.
TOKEN_ERRORS = {-216, -220}
REFRESH_AHEAD = 300.0  # refresh this many seconds before the access token ends
LEASE = 30.0


class ZaloError(CoopbotError):
    """Zalo answered with an error."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"zalo error {code}: {message}")
        self.code = code


@dataclass(frozen=True, slots=True)
class ZaloConfig:
    """Hosts and credentials."""

    api_base: str
    oauth_base: str
    app_id: str
    app_secret: str


class ZaloTokens:
    """Hands out a valid access token; refreshes it once across workers (see the token store)."""

    def __init__(
        self,
        store: TokenStore,
        http: aiohttp.ClientSession,
        config: ZaloConfig,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.http, self.config, self.clock = store, http, config, clock
        self._lock = asyncio.Lock()

    async def access_token(self) -> str:
        """A token valid for a while; refreshed ahead of its end."""
        pair = await self.store.get()
        if pair is None:
            raise ZaloError(-1, "no Zalo tokens configured")
        if pair.expires_at - self.clock() > REFRESH_AHEAD:
            return pair.access_token
        return await self.refresh(stale=pair.access_token)

    async def refresh(self, stale: str) -> str:
        """Replace ``stale`` with a new token, unless another worker already did."""
        async with self._lock:
            for _ in range(100):
                pair = await self.store.get()
                if pair is None:
                    raise ZaloError(-1, "no Zalo tokens configured")
                if pair.access_token != stale and pair.expires_at - self.clock() > REFRESH_AHEAD:
                    return pair.access_token
                now = self.clock()
                if await self.store.lease(pair.version, now + LEASE, now):
                    return await self._rotate(pair, pair.version + 1)
                await asyncio.sleep(0.1)  # another worker is refreshing: wait for its pair
        raise ZaloError(-1, "token refresh did not finish")

    async def _rotate(self, pair: TokenPair, version: int) -> str:
        """Spend the refresh token; store the new pair before anyone uses it.

        Request as zaloplatform/zalo-java-sdk src/test/java/GetAccessTokenByRefreshToken.java:
        form ``refresh_token``, ``app_id``, ``grant_type=refresh_token`` posted to
        ``/v4/oa/access_token`` with the app secret in a ``secret_key`` header. The answer
        ``{"access_token", "refresh_token", "expires_in": "90000"}`` (a string: 25 hours) is
        as Zalo's OAuth page shows it (quoted in the research note above)."""
        cfg = self.config
        form = {
            "refresh_token": pair.refresh_token,
            "app_id": cfg.app_id,
            "grant_type": "refresh_token",
        }
        async with self.http.post(
            f"{cfg.oauth_base}/v4/oa/access_token",
            data=form,
            headers={"secret_key": cfg.app_secret},
        ) as resp:
            body: dict[str, Any] = await resp.json(content_type=None)
        if "access_token" not in body:
            raise ZaloError(int(body.get("error", -1)), str(body.get("error_name", body)))
        fresh = TokenPair(
            str(body["access_token"]),
            str(body["refresh_token"]),
            self.clock() + float(body.get("expires_in", 90000)),
        )
        if not await self.store.replace(version, fresh):
            raise ZaloError(-1, "token pair changed during refresh")
        log.info("zalo access token refreshed")
        return fresh.access_token


class ZaloClient:
    """Sends consultation messages (``/v3.0/oa/message/cs``)."""

    def __init__(self, http: aiohttp.ClientSession, config: ZaloConfig, tokens: ZaloTokens):
        self.http, self.config, self.tokens = http, config, tokens

    async def send(self, recipient: dict[str, str], message: dict[str, Any]) -> dict[str, Any]:
        """POST one message; an expired token is refreshed and the send retried once.

        ``POST /v3.0/oa/message/cs`` with the token in an ``access_token`` header and a JSON
        body ``{"recipient": {"user_id"}, "message": {"text"}}``, as zaloplatform/zalo-java-sdk
        src/test/java/v3/SendTextCSMessage.java and zaloplatform/ZaloDotNetSDK
        src/sdk/oa/ZaloClient.cs ``sendTextMessageToUserIdV3``; the answer is
        ``{"error": 0, "message": "Success", "data": {"message_id", "user_id", …}}`` and an
        error ``{"error": <negative code>, "message"}`` (zaloplatform/zalo-php-sdk
        src/Exceptions/ZaloResponseException.php reads those two keys)."""
        token = await self.tokens.access_token()
        for attempt in (1, 2):
            async with self.http.post(
                f"{self.config.api_base}/v3.0/oa/message/cs",
                json={"recipient": recipient, "message": message},
                headers={"access_token": token},
            ) as resp:
                body: dict[str, Any] = await resp.json(content_type=None)
            code = int(body.get("error", -1))
            if code == 0:
                return dict(body.get("data") or {})
            if code in TOKEN_ERRORS and attempt == 1:
                token = await self.tokens.refresh(stale=token)
                continue
            raise ZaloError(code, str(body.get("message", "")))
        raise AssertionError("unreachable")
