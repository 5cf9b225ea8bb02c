"""Two workers sharing one database serialise one user's messages: no state update is lost.

Each core has its own engine (its own connections), as two ``coopbot serve`` processes would.
On PostgreSQL an advisory lock per user serialises them; on SQLite the compare-and-set on the
state's version and the core's retry do.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
import pytest

from coopbot.config import Settings
from coopbot.core import Stores, build_core, pseudonym
from coopbot.dialog import Outcome, Router, Turn
from coopbot.dialog.flows.engine import FlowState
from coopbot.inbound.pipeline import Pipeline
from coopbot.messages import IncomingMessage, Reply, UserKey
from coopbot.storage.channel_state import MemoryContactStore
from coopbot.storage.db import make_engine
from coopbot.storage.dialogs import SqlAssessmentLog, SqlDialogStore, lock_id
from coopbot.storage.inbox import MemoryInbox
from coopbot.storage.inquiries import MemoryInquiryLog
from coopbot.storage.migrate import upgrade_async

USER = UserKey("telegram", "42")
PER_WORKER = 15


@dataclass
class CountingRouter:
    """Replies with the counter it read and stores counter + 1 (a read-modify-write)."""

    inner: Router

    def route(self, turn: Turn, state: FlowState | None = None) -> Outcome:
        seen = int(state.answers["n"]) if state else 0
        new = FlowState("counter", {"n": seen + 1}, updated=turn.now)
        return Outcome((Reply(str(seen)),), "command", state=new, state_changed=True)


async def test_two_workers_never_lose_an_update(
    database_url: str, settings_default: Settings
) -> None:
    await upgrade_async(database_url)
    engines = [make_engine(database_url), make_engine(database_url)]
    try:
        cores, pipelines = [], []
        for engine in engines:
            stores = Stores(MemoryInquiryLog(), SqlDialogStore(engine), SqlAssessmentLog(engine))
            core = build_core(settings_default, stores)
            core.live.router = CountingRouter(core.live.router)  # type: ignore[assignment]
            cores.append(core)
            pipelines.append(Pipeline(core, MemoryInbox(), {}, MemoryContactStore()))

        async def worker(index: int) -> list[int]:
            msgs = [IncomingMessage(USER, text=f"m{i}") for i in range(PER_WORKER)]
            tasks = [asyncio.create_task(pipelines[index].handle_now(m)) for m in msgs]
            return [int((await t)[0].text) for t in tasks]

        first, second = await asyncio.gather(worker(0), worker(1))
        assert sorted(first + second) == list(range(2 * PER_WORKER))  # each saw a distinct state
        assert first == sorted(first) and second == sorted(second)  # in order within a worker
        stored = await cores[0].dialogs.get(pseudonym(USER, cores[0].pseudonym_key))
        assert stored is not None and stored.data["answers"]["n"] == 2 * PER_WORKER
    finally:
        for engine in engines:
            await engine.dispose()


async def test_postgres_waits_for_the_users_advisory_lock(
    database_url: str, settings_default: Settings
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("advisory locks are PostgreSQL's; SQLite relies on compare-and-set")
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    core = build_core(settings_default, Stores(MemoryInquiryLog(), SqlDialogStore(engine)))
    holder = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        key = lock_id(pseudonym(USER, core.pseudonym_key))
        await holder.execute("SELECT pg_advisory_lock($1)", key)  # "another process"
        task = asyncio.create_task(core.handle(IncomingMessage(USER, text="/kiemtra")))
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        for _ in range(500):  # until the server shows our handler queued behind the lock
            if await holder.fetchval(waiting) == 1:
                break
            await asyncio.sleep(0.01)
        assert await holder.fetchval(waiting) == 1 and not task.done()
        await holder.execute("SELECT pg_advisory_unlock($1)", key)
        assert "Câu 1/" in (await task)[0].text
    finally:
        await holder.close()
        await engine.dispose()


def test_lock_ids_are_stable_signed_64_bit() -> None:
    assert lock_id("abc") == lock_id("abc") != lock_id("abd")
    assert -(2**63) <= lock_id("abc") < 2**63
