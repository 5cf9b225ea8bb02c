"""The Zalo token pair, stored so a restart uses the rotated pair; one worker refreshes at once.

A refresh token works once. A worker takes a short lease on the row (compare-and-set on
``version``) before calling Zalo, writes the new pair, then uses it; other workers wait for the
new version instead of burning the same refresh token.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from coopbot.storage.db import session_factory
from coopbot.storage.tables import ZaloToken


@dataclass(frozen=True, slots=True)
class TokenPair:
    """An access token, the refresh token that replaces it, and when the access token ends."""

    access_token: str
    refresh_token: str
    expires_at: float
    version: int = 0
    refreshing_until: float = 0.0


class TokenStore(ABC):
    """Holds one token pair."""

    @abstractmethod
    async def get(self) -> TokenPair | None:
        """The stored pair, or None."""

    @abstractmethod
    async def seed(self, pair: TokenPair) -> None:
        """Store the initial pair if none is stored (a restart keeps the rotated one)."""

    @abstractmethod
    async def lease(self, version: int, until: float, now: float) -> bool:
        """Take the right to refresh if the pair is still ``version`` and nobody holds it."""

    @abstractmethod
    async def replace(self, version: int, pair: TokenPair) -> bool:
        """Write a new pair over ``version`` (only the lease holder calls this)."""


class MemoryTokenStore(TokenStore):
    """In-memory twin."""

    def __init__(self) -> None:
        self.pair: TokenPair | None = None

    async def get(self) -> TokenPair | None:
        """The pair."""
        return self.pair

    async def seed(self, pair: TokenPair) -> None:
        """Only when empty."""
        if self.pair is None:
            self.pair = TokenPair(pair.access_token, pair.refresh_token, pair.expires_at, 1)

    async def lease(self, version: int, until: float, now: float) -> bool:
        """CAS on version and lease expiry."""
        p = self.pair
        if p is None or p.version != version or p.refreshing_until > now:
            return False
        self.pair = TokenPair(p.access_token, p.refresh_token, p.expires_at, version + 1, until)
        return True

    async def replace(self, version: int, pair: TokenPair) -> bool:
        """CAS on version."""
        if self.pair is None or self.pair.version != version:
            return False
        self.pair = TokenPair(pair.access_token, pair.refresh_token, pair.expires_at, version + 1)
        return True


class SqlTokenStore(TokenStore):
    """Row ``id = 1`` of ``zalo_token``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)

    async def get(self) -> TokenPair | None:
        """The pair."""
        async with self._sessions() as s:
            row = await s.get(ZaloToken, 1)
            if row is None:
                return None
            return TokenPair(
                row.access_token,
                row.refresh_token,
                row.expires_at,
                row.version,
                row.refreshing_until,
            )

    async def seed(self, pair: TokenPair) -> None:
        """Insert if absent; an existing (rotated) pair wins."""
        async with self._sessions() as s:
            s.add(
                ZaloToken(
                    id=1,
                    access_token=pair.access_token,
                    refresh_token=pair.refresh_token,
                    expires_at=pair.expires_at,
                )
            )
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()

    async def lease(self, version: int, until: float, now: float) -> bool:
        """UPDATE … WHERE version = v AND lease free."""
        async with self._sessions() as s:
            result = await s.exec(
                update(ZaloToken)
                .where(
                    col(ZaloToken.id) == 1,
                    col(ZaloToken.version) == version,
                    col(ZaloToken.refreshing_until) <= now,
                )
                .values(version=version + 1, refreshing_until=until)
            )
            await s.commit()
            return bool(result.rowcount == 1)

    async def replace(self, version: int, pair: TokenPair) -> bool:
        """UPDATE … WHERE version = v."""
        async with self._sessions() as s:
            result = await s.exec(
                update(ZaloToken)
                .where(col(ZaloToken.id) == 1, col(ZaloToken.version) == version)
                .values(
                    access_token=pair.access_token,
                    refresh_token=pair.refresh_token,
                    expires_at=pair.expires_at,
                    version=version + 1,
                    refreshing_until=0.0,
                )
            )
            await s.commit()
            return bool(result.rowcount == 1)
