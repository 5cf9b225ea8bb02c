"""Sign-in throttling shared by every worker, counted atomically in the database.

Every attempt is counted BEFORE the password is checked, in one upsert per key that returns the
new count, so parallel attempts cannot all slip under the limit: past ``limit`` attempts in
``WINDOW`` the key is locked for ``LOCKOUT`` and further attempts get a wait, unverified. A good
password clears the account's count and gives the address its attempt back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import case, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from coopbot.storage.tables import LoginThrottle

MAX_FAILURES = 5  # per account name within WINDOW
MAX_FAILURES_ADDRESS = 20  # per client address ("ip:" keys): offices share one address
WINDOW = 15 * 60.0
LOCKOUT = 15 * 60.0


def limit_for(key: str) -> int:
    """Attempts allowed per window for a key."""
    return MAX_FAILURES_ADDRESS if key.startswith("ip:") else MAX_FAILURES


class SignInThrottle:
    """Counts attempts per account name and per client address."""

    def __init__(self, engine: AsyncEngine, clock: Callable[[], float] = time.time) -> None:
        self.engine, self.clock = engine, clock
        self._insert: Any = (
            postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        )

    async def attempt(self, keys: list[str]) -> float:
        """Count one attempt against every key; seconds to wait (0: check the password)."""
        now = self.clock()
        wait = 0.0
        async with self.engine.begin() as conn:
            for key in keys:
                count, locked_until = await self._count(conn, key, now)
                if locked_until > now:
                    wait = max(wait, locked_until - now)
                elif count > limit_for(key):
                    await conn.execute(
                        update(LoginThrottle)
                        .where(col(LoginThrottle.key) == key)
                        .values(locked_until=now + LOCKOUT, failures=0, window_start=now)
                    )
                    wait = max(wait, LOCKOUT)
        return wait

    async def _count(self, conn: Any, key: str, now: float) -> tuple[int, float]:
        """Upsert +1 (a new window starts at 1) and read the result, atomically."""
        table = LoginThrottle.__table__  # type: ignore[attr-defined]
        expired = table.c.window_start < now - WINDOW
        statement = (
            self._insert(table)
            .values(key=key, failures=1, window_start=now, locked_until=0.0)
            .on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "failures": case((expired, 1), else_=table.c.failures + 1),
                    "window_start": case((expired, now), else_=table.c.window_start),
                },
            )
            .returning(table.c.failures, table.c.locked_until)
        )
        count, locked_until = (await conn.execute(statement)).one()
        return int(count), float(locked_until)

    async def succeeded(self, keys: list[str]) -> None:
        """A good password: the account's count is cleared, the address's attempt given back."""
        name_keys = [k for k in keys if not k.startswith("ip:")]
        address_keys = [k for k in keys if k.startswith("ip:")]
        async with self.engine.begin() as conn:
            await conn.execute(delete(LoginThrottle).where(col(LoginThrottle.key).in_(name_keys)))
            await conn.execute(
                update(LoginThrottle)
                .where(col(LoginThrottle.key).in_(address_keys), col(LoginThrottle.failures) > 0)
                .values(failures=col(LoginThrottle.failures) - 1)
            )
