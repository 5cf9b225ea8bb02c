"""A record written while migration 0011 has not run yet waits for it (never quarantined)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from coopbot.storage.db import make_engine
from coopbot.storage.inquiries import InquiryRecord, SqlInquiryLog
from coopbot.storage.migrate import upgrade, upgrade_async
from coopbot.storage.quarantine import SqlQuarantineStore


async def test_a_record_waits_for_missing_columns(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'half.db'}"
    await asyncio.to_thread(upgrade, url, "0010")  # tables exist, runner_up/margin not yet
    engine = make_engine(url)
    log = SqlInquiryLog(engine, wait=0.05)
    await log.record(InquiryRecord("web", "u", "faq", "chờ cột mới", runner_up="b", margin=0.1))
    await asyncio.sleep(0.3)  # the writer has tried and failed a few times by now
    assert await SqlQuarantineStore(engine).count() == 0
    await upgrade_async(url)
    for _ in range(100):
        if await log.recent():
            break
        await asyncio.sleep(0.05)
    (row,) = await log.recent()
    assert (row.text, row.runner_up, row.margin) == ("chờ cột mới", "b", 0.1)
    await log.close()
    await engine.dispose()
