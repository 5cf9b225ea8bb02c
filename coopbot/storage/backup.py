"""Backups: SQLite through its online backup API (consistent while serving), PostgreSQL through
``pg_dump -Fc`` (restore with ``pg_restore``)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from coopbot.errors import StorageError


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise StorageError("an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


def backup(url: str, dest: Path) -> str:
    """Write a backup of the database at ``url`` to ``dest``; a one-line description."""
    source = sqlite_path(url)
    if source is None:
        return _pg_dump(url, dest)
    if not source.exists():
        raise StorageError(f"no database file at {source}")
    _copy_sqlite(source, dest)
    return f"SQLite backup written to {dest}"


def restore(url: str, src: Path, overwrite: bool) -> str:
    """Replace the SQLite database at ``url`` with the backup ``src``."""
    target = sqlite_path(url)
    if target is None:
        raise StorageError("restore a PostgreSQL dump with pg_restore (see README, Backups)")
    if not src.exists():
        raise StorageError(f"no backup file at {src}")
    _check_sqlite(src)
    if target.exists() and not overwrite:
        raise StorageError(f"{target} exists; stop coopbot and add --yes to overwrite it")
    _copy_sqlite(src, target)
    return f"restored {src} into {target}"


def _copy_sqlite(source: Path, dest: Path) -> None:
    """Page-by-page copy through SQLite's backup API (safe while others write)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    src_conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst_conn = sqlite3.connect(dest)
    try:
        src_conn.backup(dst_conn)
    except sqlite3.Error as exc:
        raise StorageError(f"SQLite backup failed: {exc}") from exc
    finally:
        dst_conn.close()
        src_conn.close()


def _check_sqlite(path: Path) -> None:
    """Refuse a file that is not a sound SQLite database."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StorageError(f"{path} is not a SQLite database: {exc}") from exc
    if ok is None or ok[0] != "ok":
        raise StorageError(f"{path} failed SQLite's integrity check")


def _pg_dump(url: str, dest: Path) -> str:
    """``pg_dump -Fc`` to ``dest``; the password travels in PGPASSWORD, not on the command line."""
    exe = shutil.which("pg_dump")
    if exe is None:
        raise StorageError(
            "pg_dump is not on PATH: install the PostgreSQL client (same major version as the "
            "server) or run pg_dump -Fc where it is installed"
        )
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    target = plain.render_as_string(hide_password=False)
    result = subprocess.run(
        [exe, "-Fc", "--no-owner", "-f", str(dest), target],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise StorageError(f"pg_dump failed: {result.stderr.strip().splitlines()[-1:]}")
    return f"PostgreSQL dump (custom format) written to {dest}; restore with pg_restore"
