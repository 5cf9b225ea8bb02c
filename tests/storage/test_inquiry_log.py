"""Inquiry log contract, run against the in-memory twin, SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio

from coopbot.storage.db import make_engine
from coopbot.storage.inquiries import InquiryLog, InquiryRecord, MemoryInquiryLog, SqlInquiryLog
from coopbot.storage.migrate import upgrade_async


async def _contract(log: InquiryLog) -> None:
    await log.start()
    records = [
        InquiryRecord(
            "web",
            f"user{i % 3}",
            "faq",
            f"câu hỏi {i}",
            entry_id="tl-x",
            score=0.5 + i / 100,
            confident=i % 2 == 0,
        )
        for i in range(30)
    ]
    await asyncio.gather(*(log.record(r) for r in records))
    recent = await log.recent(limit=5)
    assert [r.text for r in recent] == [f"câu hỏi {i}" for i in range(29, 24, -1)]
    assert recent[0].confident is False and recent[1].confident is True
    assert recent[0].created_at.tzinfo is not None
    await log.close()


async def test_memory_log_contract() -> None:
    await _contract(MemoryInquiryLog())


async def test_sql_log_contract(database_url: str) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    try:
        await _contract(SqlInquiryLog(engine))
    finally:
        await engine.dispose()


async def test_upgrade_is_idempotent_and_keeps_data(database_url: str) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    log = SqlInquiryLog(engine)
    await log.record(InquiryRecord("telegram", "u", "faq", "giữ lại"))
    await log.close()
    await upgrade_async(database_url)
    assert [r.text for r in await log.recent()] == ["giữ lại"]
    await engine.dispose()


async def test_records_wait_while_the_database_is_down(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'later.db'}"
    engine = make_engine(url)
    log = SqlInquiryLog(engine, wait=0.05)
    await log.record(
        InquiryRecord("web", "u", "faq", "trước khi có bảng")
    )  # table missing: retried
    await upgrade_async(url)
    for _ in range(100):
        if await log.recent():
            break
        await asyncio.sleep(0.05)
    assert [r.text for r in await log.recent()] == ["trước khi có bảng"]
    await log.close()
    await engine.dispose()


async def test_feedback_is_stored_on_the_users_own_row(database_url: str) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    log = SqlInquiryLog(engine)
    await log.record(InquiryRecord("zalo", "u1", "faq", "câu hỏi", ref="abc123"))
    assert await log.set_feedback("abc123", "u1", 1)
    assert not await log.set_feedback("abc123", "u2", -1)
    assert not await log.set_feedback("nope", "u1", -1)
    assert [(r.ref, r.feedback) for r in await log.recent()] == [("abc123", 1)]
    await log.close()
    await engine.dispose()
