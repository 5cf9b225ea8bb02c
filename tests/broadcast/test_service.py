"""The broadcast service and queue on SQLite and PostgreSQL: audiences, counts, claims, leases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from coopbot.broadcast import AudienceFilter, BroadcastError, Broadcasts, DeliveryQueue
from coopbot.storage.channel_state import SqlContactStore
from coopbot.storage.db import make_engine
from coopbot.storage.migrate import upgrade_async
from coopbot.storage.subscribers import SqlSubscriberStore, Subscription

from .helpers import block, seed


@dataclass
class Db:
    engine: AsyncEngine
    subs: SqlSubscriberStore
    contacts: SqlContactStore
    service: Broadcasts


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Db]:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    yield Db(engine, SqlSubscriberStore(engine), SqlContactStore(engine), Broadcasts(engine))
    await engine.dispose()


async def test_filters_and_preview_counts(db: Db) -> None:
    await seed(db.subs, range(1, 11), province="can-tho", topics=("tap-huan",))
    await seed(db.subs, range(11, 16), province="nghe-an")  # every topic
    await seed(db.subs, range(16, 20), "zalo", province="can-tho", topics=("von-vay",))
    await db.subs.save(Subscription("telegram", "99", "k99", "can-tho", (), False))  # stopped
    await block(db.contacts, "telegram", 3)
    everyone = await db.service.preview(AudienceFilter())
    assert (everyone.count, everyone.by_channel) == (18, {"telegram": 14, "zalo": 4})
    assert everyone.zalo_count == 4
    assert (await db.service.preview(AudienceFilter(province="can-tho"))).count == 13
    assert (await db.service.preview(AudienceFilter(topic="tap-huan"))).count == 14
    assert (await db.service.preview(AudienceFilter(topic="von-vay"))).count == 9
    only = AudienceFilter(channel="zalo", province="nghe-an")
    assert (await db.service.preview(only)).count == 0


async def test_create_status_cancel_list(db: Db) -> None:
    await seed(db.subs, range(1, 6))
    first = await db.service.create("Hạn nộp 15/12", AudienceFilter(), "cli")
    status = await db.service.status(first)
    assert (status.total, status.pending, status.sent, status.state) == (5, 5, 0, "queued")
    assert await db.service.cancel(first) and not await db.service.cancel(first)
    status = await db.service.status(first)
    assert (status.pending, status.cancelled, status.state) == (0, 5, "cancelled")
    second = await db.service.create("Tập huấn", AudienceFilter(province="hue"), "cli")
    assert [s.id for s in await db.service.list(10)] == [second, first]
    assert (await db.service.status(second)).state == "done"  # nobody in Huế
    with pytest.raises(BroadcastError):
        await db.service.create("   ", AudienceFilter(), "cli")
    with pytest.raises(BroadcastError):
        await db.service.status(12345)


async def test_two_workers_claim_disjoint_rows_and_leases_come_back(db: Db) -> None:
    await seed(db.subs, range(1, 41))
    now = [1000.0]
    a = DeliveryQueue(db.engine, lease=30, clock=lambda: now[0])
    b = DeliveryQueue(db.engine, lease=30, clock=lambda: now[0])
    await db.service.create("Thông báo", AudienceFilter(), "cli")
    got_a, got_b = await asyncio.gather(a.claim(["telegram"], 25), b.claim(["telegram"], 25))
    ids_a, ids_b = {c.id for c in got_a}, {c.id for c in got_b}
    assert not ids_a & ids_b and len(ids_a | ids_b) == 40
    for item in got_a:
        assert await a.start(item)
        await a.finish(item, "sent")
    assert await b.claim(["telegram"], 50) == []  # b's rows are still leased
    now[0] += 31  # b died: its leases end
    again = await a.claim(["telegram"], 50)
    assert {c.id for c in again} == ids_b
    assert not await b.start(got_b[0])  # the old holder can no longer send it


async def test_scheduled_rows_wait_and_erase_forgets_a_subscriber(db: Db) -> None:
    from datetime import UTC, datetime, timedelta

    await seed(db.subs, range(1, 4))
    later = datetime.now(UTC) + timedelta(hours=1)
    sid = await db.service.create("Sáng mai", AudienceFilter(), "cli", later)
    assert (await db.service.status(sid)).state == "scheduled"
    assert await DeliveryQueue(db.engine).claim(["telegram"], 10) == []
    assert await db.subs.erase("k1") == 1 and await db.subs.get("telegram", "1") is None
