"""Apply Alembic migrations programmatically (``coopbot db upgrade`` and start-up).

Alembic is imported only when migrating: a serving worker migrates in a child process
(``upgrade_in_child``), so Alembic, Mako and Pygments (about 8 MB) never load into it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from coopbot.errors import StorageError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
URL_ENV = "COOPBOT_MIGRATE_URL"  # the child reads its URL here, not from argv (ps shows argv)


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (blocking; runs its own event loop)."""
    from alembic import command

    try:
        command.upgrade(alembic_config(url), revision)
    except Exception as exc:  # alembic and drivers raise many types; report one clearly
        raise StorageError(f"database migration failed: {exc}") from exc


async def upgrade_async(url: str) -> None:
    """Migrate from inside a running event loop (in a worker thread)."""
    await asyncio.to_thread(upgrade, url)


async def upgrade_in_child(url: str) -> None:
    """Migrate in a child Python process and wait for it; its error becomes a StorageError.
    A cancelled start kills the child."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        __name__,
        env={**os.environ, URL_ENV: url},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await child.communicate()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):  # it may have exited meanwhile
            child.kill()
        await child.wait()
        raise
    if child.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        raise StorageError(lines[-1] if lines else f"migration exited with {child.returncode}")


def main() -> int:
    """The child: migrate the database named in URL_ENV; the error, if any, on stderr."""
    url = os.environ.get(URL_ENV)
    if not url:
        print(f"{URL_ENV} is not set", file=sys.stderr)
        return 1
    try:
        upgrade(url)
    except StorageError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
