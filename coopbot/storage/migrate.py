"""Apply Alembic migrations programmatically (``coopbot db upgrade`` and start-up)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from coopbot.errors import StorageError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (blocking; runs its own event loop)."""
    try:
        command.upgrade(alembic_config(url), revision)
    except Exception as exc:  # alembic and drivers raise many types; report one clearly
        raise StorageError(f"database migration failed: {exc}") from exc


async def upgrade_async(url: str) -> None:
    """Migrate from inside a running event loop (in a worker thread)."""
    await asyncio.to_thread(upgrade, url)
