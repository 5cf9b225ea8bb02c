"""The inbox contract (memory twin, SQLite, PostgreSQL): dedupe, per-chat order across owners,
leases, updates stored already claimed, retries, quarantine, erasure."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from coopbot.inbound.envelope import Envelope
from coopbot.messages import Button, IncomingMessage, Reply, UserKey
from coopbot.storage.db import make_engine
from coopbot.storage.inbox import Inbox, LeaseLost, MemoryInbox
from coopbot.storage.inbox_sql import SqlInbox
from coopbot.storage.migrate import upgrade, upgrade_async
from coopbot.storage.quarantine import SqlQuarantineStore


def env(chat: str, dedupe: str, text: str = "xin chào") -> Envelope:
    """A Telegram text update."""
    msg = IncomingMessage(UserKey("telegram", chat), text=text)
    return Envelope(dedupe, chat, msg, {"callback": "cq1"})


@pytest.fixture
async def inbox(backend: str | None) -> AsyncIterator[Any]:
    """An empty inbox: the memory twin, SQLite or PostgreSQL."""
    if backend is None:
        yield MemoryInbox()
        return
    await upgrade_async(backend)
    engine = make_engine(backend)
    yield SqlInbox(engine)
    await engine.dispose()


async def test_accept_is_once_per_dedupe_key_even_concurrently(inbox: Inbox) -> None:
    results = await asyncio.gather(*(inbox.accept(env("42", "1001")) for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    other = Envelope("1001", "42", IncomingMessage(UserKey("zalo", "42"), text="x"))
    assert await inbox.accept(other) is True  # keys are per channel
    assert (await inbox.counts())["pending"] == 2


async def test_one_chat_is_worked_in_order_by_one_owner_at_a_time(inbox: Inbox) -> None:
    for i in range(3):
        await inbox.accept(env("42", str(i), f"m{i}"))
    await inbox.accept(env("7", "x"))
    first = await inbox.claim("telegram", "42", "A", 100.0, 30.0)
    assert first is not None and first.message.text == "m0" and first.context["callback"] == "cq1"
    assert await inbox.claim("telegram", "42", "B", 101.0, 30.0) is None  # A holds the chat
    other = await inbox.claim("telegram", "7", "B", 101.0, 30.0)
    assert other is not None  # other chats are not held back
    reply = Reply("chào", (Button("Có", "faq:x"),))
    await inbox.answered(first.id, (reply,), "A", 130.0)
    await inbox.progress(first.id, 1, "A", 130.0)
    with pytest.raises(LeaseLost):
        await inbox.progress(first.id, 1, "B", 130.0)
    await inbox.finish(first.id)
    second = await inbox.claim("telegram", "42", "B", 102.0, 30.0)
    assert second is not None and second.message.text == "m1" and second.replies is None


async def test_a_dead_owners_row_is_taken_over_with_its_replies(inbox: Inbox) -> None:
    await inbox.accept(env("42", "1"))
    item = await inbox.claim("telegram", "42", "A", 100.0, 30.0)
    assert item is not None
    await inbox.answered(item.id, (Reply("một"), Reply("hai")), "A", 130.0)
    await inbox.progress(item.id, 1, "A", 130.0)
    assert await inbox.due(120.0) == []
    assert await inbox.due(131.0) == [("telegram", "42")]
    again = await inbox.claim("telegram", "42", "B", 131.0, 30.0)
    assert again is not None and again.sent == 1
    assert [r.text for r in again.replies or ()] == ["một", "hai"]


async def test_retries_wait_then_quarantine_frees_the_chat(inbox: Inbox) -> None:
    await inbox.accept(env("42", "1", "bad"))
    await inbox.accept(env("42", "2", "good"))
    item = await inbox.claim("telegram", "42", "A", 100.0, 30.0)
    assert item is not None
    assert await inbox.release(item.id, 110.0, "boom", True) == 1
    assert await inbox.claim("telegram", "42", "A", 105.0, 30.0) is None  # not yet due
    again = await inbox.claim("telegram", "42", "A", 110.0, 30.0)
    assert again is not None and again.attempts == 1
    assert await inbox.release(again.id, 110.0, "network", False) == 1  # not counted
    await inbox.quarantine(again.id, "ValueError: boom")
    nxt = await inbox.claim("telegram", "42", "A", 111.0, 30.0)
    assert nxt is not None and nxt.message.text == "good"
    counts = await inbox.counts()
    assert counts["quarantined"] == 1


async def test_quarantine_keeps_a_copy_for_staff(database_url: str) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    try:
        inbox, staff = SqlInbox(engine), SqlQuarantineStore(engine)
        await inbox.accept(env("42", "1", "hỏng"))
        item = await inbox.claim("telegram", "42", "A", 100.0, 30.0)
        assert item is not None
        await inbox.quarantine(item.id, "ValueError: boom")
        (kept,) = await staff.recent()
        assert kept.source == "inbox" and kept.chat == "42" and "ValueError" in kept.reason
        assert "h\\u1ecfng" in kept.data  # ASCII JSON
        assert await staff.erase_user(UserKey("telegram", "42"), "pseudonym") == 1
    finally:
        await engine.dispose()


async def test_erase_forgets_the_chats_rows(inbox: Inbox) -> None:
    await inbox.accept(env("42", "1"))
    await inbox.accept(env("7", "2"))
    assert await inbox.erase_user(UserKey("telegram", "42"), "k") == 1
    assert await inbox.due(0.0) == [("telegram", "7")]


async def test_an_update_of_an_idle_chat_is_stored_already_claimed(inbox: Inbox) -> None:
    first = await inbox.accept_and_claim(env("42", "1", "m1"), "A", 100.0, 30.0)
    assert first.fresh and first.claimed is not None
    assert first.claimed.message.text == "m1" and first.claimed.context == {"callback": "cq1"}
    assert first.claimed.replies is None and (first.claimed.sent, first.claimed.attempts) == (0, 0)
    behind = await inbox.accept_and_claim(env("42", "2", "m2"), "B", 101.0, 30.0)
    assert behind.fresh and behind.claimed is None  # the chat has a pending row
    assert await inbox.claim("telegram", "42", "B", 101.0, 30.0) is None  # A holds the chat
    retry = await inbox.accept_and_claim(env("42", "1", "m1"), "B", 102.0, 30.0)
    assert not retry.fresh and retry.claimed is None
    assert await inbox.accept(env("7", "3")) is True  # without an owner: stored, not held
    assert await inbox.claim("telegram", "7", "B", 101.0, 30.0) is not None
    again = await inbox.claim("telegram", "42", "B", 131.0, 30.0)
    assert again is not None and again.id == first.claimed.id
    assert (again.message, again.context) == (first.claimed.message, first.claimed.context)


async def test_finish_tells_whether_the_chat_has_more(inbox: Inbox) -> None:
    one = (await inbox.accept_and_claim(env("42", "1"), "A", 100.0, 30.0)).claimed
    await inbox.accept(env("42", "2"))
    await inbox.accept(env("7", "3"))
    assert one is not None and await inbox.finish(one.id) is True
    two = await inbox.claim("telegram", "42", "A", 100.0, 30.0)
    assert two is not None and await inbox.finish(two.id) is False  # chat 7 does not count


async def test_only_one_of_many_racing_updates_of_an_idle_chat_is_held(inbox: Inbox) -> None:
    for chat in ("1", "2", "3", "4", "5"):  # the first round also opens the pool's connections
        results = await asyncio.gather(
            *(
                inbox.accept_and_claim(env(chat, f"{chat}-{i}"), f"W{i}", 100.0, 30.0)
                for i in range(8)
            )
        )
        assert all(r.fresh for r in results)
        assert sum(r.claimed is not None for r in results) == 1
    assert (await inbox.counts())["pending"] == 40


async def test_the_held_row_goes_first_even_when_an_earlier_one_arrives_late(
    inbox: Inbox,
) -> None:
    later = Envelope("11", "42", IncomingMessage(UserKey("telegram", "42"), text="m11"), seq=11)
    earlier = Envelope("10", "42", IncomingMessage(UserKey("telegram", "42"), text="m10"), seq=10)
    held = (await inbox.accept_and_claim(later, "A", 100.0, 30.0)).claimed
    assert held is not None and (await inbox.accept_and_claim(earlier, "B", 100.0, 30.0)).fresh
    assert await inbox.claim("telegram", "42", "B", 101.0, 30.0) is None  # one row at a time
    taken = await inbox.claim("telegram", "42", "B", 131.0, 30.0)  # A died: its row first
    assert taken is not None and taken.message.text == "m11"
    assert await inbox.finish(taken.id) is True
    nxt = await inbox.claim("telegram", "42", "B", 132.0, 30.0)
    assert nxt is not None and nxt.message.text == "m10"


async def test_migration_0012_keeps_one_held_row_per_chat(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url, "0011")
    engine = make_engine(database_url)
    try:
        rows = [("1", "42", "A"), ("2", "42", "B"), ("3", "7", "C")]
        async with engine.begin() as conn:
            for dedupe, chat, owner in rows:
                await conn.execute(
                    text(
                        "INSERT INTO inbox (channel, dedupe, chat, seq, status, sent, owner,"
                        " lease_until, not_before, attempts, created_at) VALUES ('telegram',"
                        " :d, :c, 0, 'pending', 0, :o, 9e9, 0, 0, CURRENT_TIMESTAMP)"
                    ),
                    {"d": dedupe, "c": chat, "o": owner},
                )
        await upgrade_async(database_url)
        async with engine.connect() as conn:
            query = text("SELECT dedupe FROM inbox WHERE owner IS NOT NULL ORDER BY dedupe")
            assert (await conn.execute(query)).scalars().all() == ["1", "3"]
    finally:
        await engine.dispose()
