"""Operator commands: ``coopbot stats``, ``coopbot db retention|backup|restore``."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from coopbot.config import Settings
from coopbot.storage.backup import backup, restore
from coopbot.storage.db import make_engine
from coopbot.storage.migrate import upgrade
from coopbot.storage.retention import apply_retention
from coopbot.storage.stats import collect_stats


def add_commands(sub: Any, db: Any) -> None:
    """Register the operator sub-commands on the ``coopbot`` and ``coopbot db`` parsers."""
    stats = sub.add_parser("stats", help="counts for operators")
    stats.add_argument("--json", action="store_true")
    db.add_parser("retention", help="clear old inquiry text, prune dedup keys and sessions")
    bak = db.add_parser("backup", help="back up the database to PATH")
    bak.add_argument("path", type=Path)
    res = db.add_parser("restore", help="replace the SQLite database with the backup PATH")
    res.add_argument("path", type=Path)
    res.add_argument("--yes", action="store_true", help="overwrite the existing database")


def stats(settings: Settings, args: argparse.Namespace) -> int:
    """``coopbot stats [--json]`` (read-only: a table not created yet counts 0)."""
    data = asyncio.run(_with_engine(settings.database_url, collect_stats))
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    inq = data["inquiries"]
    print(f"inquiries: {inq['total']} ({inq['confident']} confident), users: {data['users']}")
    print(f"assessments: {data['assessments']}, subscribers: {data['subscribers']}")
    print(f"broadcasts: {data['broadcasts']}, deliveries: {data['deliveries']}")
    return 0


def db_command(settings: Settings, args: argparse.Namespace) -> int:
    """``coopbot db upgrade|retention|backup|restore``."""
    url = settings.database_url
    if args.db == "upgrade":
        upgrade(url)
        print("database is up to date")
    elif args.db == "retention":
        upgrade(url)
        days = settings.retention_days
        report = asyncio.run(_with_engine(url, lambda e: apply_retention(e, days)))
        print(
            f"retention ({days} days): cleared text of {report.inquiries_cleared} inquiries, "
            f"deleted {report.updates_deleted} dedup keys and {report.sessions_deleted} sessions"
        )
    elif args.db == "backup":
        print(backup(url, args.path))
    else:
        print(restore(url, args.path, args.yes))
    return 0


async def _with_engine(url: str, work: Any) -> Any:
    """Run ``work(engine)`` and dispose of the engine."""
    engine = make_engine(url)
    try:
        return await work(engine)
    finally:
        await engine.dispose()
