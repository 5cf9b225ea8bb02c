"""Contracts of the channel stores (contacts, Zalo tokens): memory, SQLite, PostgreSQL.
The inbox (deduplication, ordering) has its own contract in test_inbox.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from coopbot.storage.channel_state import MemoryContactStore, SqlContactStore
from coopbot.storage.db import make_engine
from coopbot.storage.migrate import upgrade_async
from coopbot.storage.tokens import MemoryTokenStore, SqlTokenStore, TokenPair


@pytest.fixture(params=["memory", "sql"])
async def stores(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Any]:
    """(None, contacts, tokens) for one backend; SQL runs on both databases."""
    if request.param == "memory":
        yield None, MemoryContactStore(), MemoryTokenStore()
        return
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    yield None, SqlContactStore(engine), SqlTokenStore(engine)
    await engine.dispose()


async def test_contacts_set_and_read(stores: Any) -> None:
    contacts = stores[1]
    assert await contacts.is_active("zalo", "8372615048291736452") is None
    await contacts.set_active("zalo", "8372615048291736452", True)
    await contacts.set_active("zalo", "8372615048291736452", False)
    assert await contacts.is_active("zalo", "8372615048291736452") is False
    await contacts.set_active("zalo", "8372615048291736452", True)
    assert await contacts.is_active("zalo", "8372615048291736452") is True
    # two workers see a chat's first message at once: one row, no error
    await asyncio.gather(*(contacts.set_active("telegram", "55", True) for _ in range(6)))
    assert await contacts.is_active("telegram", "55") is True


async def test_token_seed_lease_replace(stores: Any) -> None:
    tokens = stores[2]
    await tokens.seed(TokenPair("AT-1", "RT-1", 100.0))
    await tokens.seed(TokenPair("AT-env", "RT-env", 100.0))  # a stored pair wins over the env
    pair = await tokens.get()
    assert pair is not None and pair.access_token == "AT-1"
    leases = await asyncio.gather(*(tokens.lease(pair.version, 50.0, 10.0) for _ in range(5)))
    assert sorted(leases) == [False] * 4 + [True]
    assert not await tokens.lease(pair.version + 1, 50.0, 20.0)  # held until 50
    assert await tokens.replace(pair.version + 1, TokenPair("AT-2", "RT-2", 200.0))
    assert not await tokens.replace(pair.version + 1, TokenPair("AT-x", "RT-x", 1.0))
    now = await tokens.get()
    assert (now.access_token, now.refresh_token, now.refreshing_until) == ("AT-2", "RT-2", 0.0)
