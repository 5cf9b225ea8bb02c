"""Decree 13/2023: consent notice, /xoadulieu erasure, retention of raw text (real databases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.server import open_core
from coopbot.config import Settings
from coopbot.core import Core, pseudonym
from coopbot.inbound.envelope import Envelope
from coopbot.messages import IncomingMessage
from coopbot.storage.channel_state import SqlContactStore
from coopbot.storage.chat_context import SqlChatContextStore
from coopbot.storage.curation import CurationStore
from coopbot.storage.db import session_factory
from coopbot.storage.inbox_sql import SqlInbox
from coopbot.storage.quarantine import Quarantined, SqlQuarantineStore
from coopbot.storage.retention import apply_retention
from coopbot.storage.subscribers import Subscription
from coopbot.storage.tables import Broadcast, Delivery
from tests.dialog.helpers import Chat

FINISH = ["/kiemtra", "7", "25", "20%", "0", "có", "có"]


@pytest.fixture
async def served(
    database_url: str, settings_default: Settings
) -> AsyncIterator[tuple[Core, AsyncEngine]]:
    """The core and engine exactly as ``coopbot serve`` wires them (SQLite and PostgreSQL)."""
    settings = settings_default.model_copy(update={"database_url": database_url})
    opened = await open_core(settings)
    yield opened.core, opened.engine
    await opened.core.inquiries.close()
    await opened.engine.dispose()


async def _count(engine: AsyncEngine, sql: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def test_start_explains_what_is_kept_and_how_to_delete(core: Core) -> None:
    notice = (await Chat(core).say("/start"))[-1].text
    assert "ẩn danh" in notice and "365 ngày" in notice and "/xoadulieu" in notice


async def test_xoadulieu_erases_only_that_user(served: tuple[Core, AsyncEngine]) -> None:
    core, engine = served
    contacts = SqlContactStore(engine)
    alice, bob = (
        Chat(core, "1111111111111111111", "zalo"),
        Chat(core, "2222222222222222222", "zalo"),
    )
    await contacts.set_active("zalo", alice.user.user_id, True)
    await contacts.set_active("zalo", bob.user.user_id, True)
    inbox = SqlInbox(engine)
    for chat in (alice, bob):  # a Zalo follow event is keyed by name, user and time
        follow = IncomingMessage(chat.user, text="/start")
        key = f"follow:{chat.user.user_id}:1700000000000"
        assert await inbox.accept(Envelope(key, chat.user.user_id, follow))
    for chat in (alice, bob):
        for line in FINISH:
            await chat.say(line)
        await chat.say("lap htx can bao nhieu nguoi")
        await chat.say("/kiemtra")  # a questionnaire left half-way
    assert await _count(engine, "SELECT count(*) FROM assessment") == 2
    for chat in (alice, bob):  # both subscribed and received one announcement
        key = pseudonym(chat.user, core.pseudonym_key)
        sub = Subscription("zalo", chat.user.user_id, key, "quang-ngai", (), True)
        await core.subscribers.save(sub)
    context = SqlChatContextStore(engine)
    for chat in (alice, bob):
        await context.update("zalo", chat.user.user_id, reply=("m1", 1.0), options=("p:1",))
    async with session_factory(engine)() as s:
        sent = Broadcast(created_by="an", text="Hạn nộp 15/12", state="queued", total=2)
        s.add(sent)
        await s.flush()
        s.add_all(
            Delivery(broadcast_id=sent.id, channel="zalo", chat_id=c.user.user_id, status="sent")
            for c in (alice, bob)
        )
        await s.commit()

    curation = CurationStore(engine)  # staff made a phrasing and a draft from their questions
    keys = [pseudonym(c.user, core.pseudonym_key) for c in (alice, bob)]
    await curation.add_phrasing("tl-so-thanh-vien-toi-thieu-htx", "nha em 4 nguoi", "an", keys[:1])
    await curation.add_phrasing("tl-so-thanh-vien-toi-thieu-htx", "4 ho du chua", "an", keys)
    await curation.add_draft("Vay ngân hàng?", ["vay ngân hàng"], "", "", "an", keys[:1])
    quarantine = SqlQuarantineStore(engine)
    for key in keys:
        await quarantine.add(Quarantined("inquiry", "DataError", "{}", "zalo", key))

    await alice.say("/xoadulieu")
    assert "không hoàn tác" in alice.text
    await alice.press(alice.button("Không xoá"))
    assert await alice.stored() is not None
    await alice.say("/xoadulieu")
    await alice.press(alice.button("🗑 Xoá dữ liệu"))
    assert "Đã xoá" in alice.text
    await core.inquiries.close()

    assert await alice.stored() is None and await bob.stored() is not None
    assert await _count(engine, "SELECT count(*) FROM assessment") == 1
    assert await contacts.is_active("zalo", alice.user.user_id) is None
    assert await _count(engine, "SELECT count(*) FROM subscriber") == 1
    assert await _count(engine, "SELECT count(*) FROM delivery") == 1
    assert await _count(engine, "SELECT count(*) FROM chat_context") == 1
    assert await core.subscribers.get("zalo", bob.user.user_id) is not None
    assert await contacts.is_active("zalo", bob.user.user_id) is True
    assert await _count(engine, "SELECT count(*) FROM inbox") == 1
    assert (await inbox.due(2e9)) == [("zalo", bob.user.user_id)]
    phrasings = await curation.phrasings()
    assert [p.text for p in phrasings] == ["4 ho du chua"] and await curation.drafts() == []
    assert [q.user_key for q in await quarantine.recent()] == [keys[1]]
    rows = await _count(engine, "SELECT count(DISTINCT user_key) FROM inquiry")
    assert rows == 1 and await _count(engine, "SELECT count(*) FROM inquiry") == len(FINISH) + 2


async def test_retention_clears_old_text_and_keeps_counts(served: tuple[Core, AsyncEngine]) -> None:
    core, engine = served
    chat = Chat(core)
    for q in ("lap htx can bao nhieu nguoi", "von gop toi da", "thoi tiet"):
        await chat.say(q)
    await core.inquiries.close()
    old = datetime.now(UTC) - timedelta(days=400)
    async with engine.begin() as conn:
        first = (await conn.execute(text("SELECT min(id) FROM inquiry"))).scalar_one()
        await conn.execute(
            text("UPDATE inquiry SET created_at = :t WHERE id = :i"), {"t": old, "i": first}
        )
        for key, when in (("1", old), ("2", datetime.now(UTC))):
            await conn.execute(
                text(
                    "INSERT INTO inbox (channel, dedupe, chat, seq, status, sent, lease_until, "
                    "not_before, attempts, created_at) VALUES ('telegram', :k, '42', 1, 'done', "
                    "0, 0, 0, 0, :t)"
                ),
                {"k": key, "t": when},
            )
        await conn.execute(
            text(
                "INSERT INTO quarantine (created_at, source, channel, user_key, reason, data) "
                "VALUES (:t, 'inquiry', 'web', 'k', 'DataError', '{}')"
            ),
            {"t": old},
        )
        ancient, recent = old.timestamp(), datetime.now(UTC).timestamp()
        for key, start in (("ip:10.0.0.1", ancient), ("name:chi", recent)):
            await conn.execute(
                text(
                    "INSERT INTO login_throttle (key, failures, window_start, locked_until) "
                    "VALUES (:k, 1, :s, 0)"
                ),
                {"k": key, "s": start},
            )
    curation = CurationStore(engine)
    await curation.add_phrasing("tl-so-thanh-vien-toi-thieu-htx", "cũ", "an", ["k"])
    await curation.add_phrasing("tl-so-thanh-vien-toi-thieu-htx", "staff's own", "an")
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE extra_phrasing SET created_at = :t"), {"t": old})
    report = await apply_retention(engine, 365)
    assert (report.inquiries_cleared, report.updates_deleted) == (1, 2)  # inbox + quarantine
    assert report.curated_deleted == 1
    assert [p.text for p in await curation.phrasings()] == ["staff's own"]
    assert report.throttles_deleted == 1
    assert await _count(engine, "SELECT count(*) FROM login_throttle WHERE key = 'name:chi'") == 1
    assert await _count(engine, "SELECT count(*) FROM inquiry") == 3
    assert await _count(engine, "SELECT count(*) FROM inquiry WHERE text IS NULL") == 1
    kept = "SELECT count(*) FROM inquiry WHERE text IS NULL AND entry_id IS NOT NULL"
    assert await _count(engine, kept) == 1
    assert await _count(engine, "SELECT count(*) FROM inbox") == 1
    assert await _count(engine, "SELECT count(*) FROM quarantine") == 0
    assert (await apply_retention(engine, 365)).inquiries_cleared == 0
