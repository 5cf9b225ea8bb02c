"""Start-up migrates in a child process, so a serving worker never loads Alembic."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from sqlalchemy import text

from coopbot.errors import StorageError
from coopbot.storage.db import make_engine
from coopbot.storage.migrate import upgrade_in_child


async def test_the_child_brings_a_fresh_database_to_head(database_url: str) -> None:
    await upgrade_in_child(database_url)
    await upgrade_in_child(database_url)  # already at head: nothing to do, no error
    engine = make_engine(database_url)
    async with engine.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    await engine.dispose()
    assert version


async def test_a_failed_migration_is_one_clear_error_without_the_password() -> None:
    url = "postgresql+asyncpg://coopbot:s3cret-pw@127.0.0.1:1/nowhere"  # nothing listens on 1
    with pytest.raises(StorageError, match="database migration failed") as caught:
        await upgrade_in_child(url)
    assert "s3cret-pw" not in str(caught.value)


async def test_a_cancelled_start_kills_the_migrating_child() -> None:
    connected, gone = asyncio.Event(), asyncio.Event()

    async def silent_database(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected.set()
        await reader.read()  # never answers; EOF when the child's socket closes
        gone.set()
        writer.close()

    server = await asyncio.start_server(silent_database, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    start = asyncio.create_task(upgrade_in_child(f"postgresql+asyncpg://x@127.0.0.1:{port}/db"))
    await asyncio.wait_for(connected.wait(), 30)
    start.cancel()
    await asyncio.wait_for(gone.wait(), 10)  # the child died with its connection, at once
    with pytest.raises(asyncio.CancelledError):
        await start
    server.close()
    await server.wait_closed()


def test_the_server_module_does_not_import_alembic() -> None:
    probe = "import sys, bot.server; print(sorted({'alembic', 'mako'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
