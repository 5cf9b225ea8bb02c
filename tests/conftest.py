"""Shared fixtures: the real knowledge base, cores, and databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from coopbot.config import REPO_KNOWLEDGE, Settings, load_settings
from coopbot.core import Core, Stores, build_core
from coopbot.knowledge import KnowledgeBase, load_knowledge
from coopbot.storage.inquiries import MemoryInquiryLog
from tests.fakes.telegram_api import TOKEN, FakeBotAPI

os.environ.setdefault("PTB_TIMEDELTA", "1")  # as `coopbot` does at start (bot/cli.py)
PG_ADMIN = os.environ.get("COOPBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
EVAL = Path(__file__).resolve().parent.parent / "bench" / "eval"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The repository's knowledge base, loaded once."""
    return load_knowledge(REPO_KNOWLEDGE)


@pytest.fixture(scope="session")
def settings_default() -> Settings:
    """Settings with the repository knowledge and an in-memory log."""
    return load_settings(knowledge_dir=REPO_KNOWLEDGE)


@pytest.fixture(scope="session")
def shared_core(settings_default: Settings) -> Core:
    """One core for read-only tests (retrieval is deterministic)."""
    return build_core(settings_default)


@pytest.fixture
def core(settings_default: Settings, shared_core: Core) -> Core:
    """A fresh core with an in-memory inquiry log (over the shared, immutable index)."""
    assert shared_core.live.router.kb is shared_core.live.base_kb  # nobody changed it
    stores = Stores(inquiries=MemoryInquiryLog())
    return build_core(settings_default, stores, router=shared_core.live.router)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of knowledge/ to break on purpose."""
    dest = tmp_path / "knowledge"
    shutil.copytree(REPO_KNOWLEDGE, dest)
    return dest


def _pg_available() -> bool:
    """True when the local PostgreSQL answers."""
    import asyncpg

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(PG_ADMIN, timeout=3)
        except (OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


@pytest.fixture(scope="session")
def pg_ok() -> bool:
    """Whether PostgreSQL is reachable (CI starts it; .ci/run fails if it cannot)."""
    return _pg_available()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, pg_ok: bool
) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    async with fresh_database(request.param, tmp_path, pg_ok) as url:
        yield url


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path, pg_ok: bool
) -> AsyncIterator[str | None]:
    """None for a store's in-memory twin, else a fresh database URL (for contract tests)."""
    if request.param == "memory":
        yield None
        return
    async with fresh_database(request.param, tmp_path, pg_ok) as url:
        yield url


@asynccontextmanager
async def fresh_database(kind: str, tmp_path: Path, pg_ok: bool) -> AsyncIterator[str]:
    """A new SQLite file or PostgreSQL database (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    if not pg_ok:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    import asyncpg

    name = f"coopbot_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
def dev_set() -> Path:
    """The public dev set (a copy of shared/eval/dev.jsonl)."""
    return EVAL / "dev.jsonl"


@pytest.fixture(scope="session")
def heldout_set() -> Path:
    """Questions written apart from the knowledge base, never used for tuning."""
    return EVAL / "heldout.jsonl"


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    """A fake Telegram Bot API on loopback for the test's bot token."""
    api = FakeBotAPI(TOKEN)
    await api.start()
    yield api
    await api.stop()
