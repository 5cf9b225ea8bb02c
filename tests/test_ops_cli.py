"""Operator commands as real subprocesses: stats, retention, backup/restore, config, JSON logs."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from pathlib import Path

from bot.logs import JsonFormatter, RedactSecrets
from tests.test_cli import _run

STATS_KEYS = {"inquiries", "users", "subscribers", "assessments", "broadcasts", "deliveries"}


def _fill(db: Path) -> None:
    """Two users' inquiries, one assessment, three subscribers (two active), one broadcast."""
    conn = sqlite3.connect(db)
    rows = [("u1", 1), ("u1", 0), ("u2", 1)]
    conn.executemany(
        "INSERT INTO inquiry (created_at, channel, user_key, kind, text, confident)"
        " VALUES ('2026-01-01 00:00:00', 'web', ?, 'faq', 'q', ?)",
        rows,
    )
    conn.execute(
        "INSERT INTO assessment (created_at, channel, user_key, flow_id, answers, outcome)"
        " VALUES ('2026-01-01 00:00:00', 'web', 'u1', 'f', '{}', '{}')"
    )
    conn.executemany(
        "INSERT INTO subscriber (channel, chat_id, user_key, topics, subscribed, created_at,"
        " updated_at) VALUES ('zalo', ?, ?, '', ?, '2026-01-01', '2026-01-01')",
        [("1", "u1", 1), ("2", "u2", 1), ("3", "u3", 0)],
    )
    conn.execute(
        "INSERT INTO broadcast (created_at, created_by, text, state, total)"
        " VALUES ('2026-01-01', 'an', 'x', 'queued', 3)"
    )
    conn.executemany(
        "INSERT INTO delivery (broadcast_id, channel, chat_id, status, due_at, lease_until,"
        " attempts) VALUES (1, 'zalo', ?, ?, 0, 0, 1)",
        [("1", "sent"), ("2", "sent"), ("3", "failed")],
    )
    conn.commit()
    conn.close()


def test_stats_json_before_and_after_migrating(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    env = {"COOPBOT_DATABASE_URL": f"sqlite:///{db}"}
    out = _run("stats", "--json", env=env)  # no tables at all yet
    assert out.returncode == 0, out.stderr
    empty = json.loads(out.stdout)
    assert set(empty) == STATS_KEYS and empty["deliveries"] == {} and empty["broadcasts"] == 0
    assert empty["inquiries"] == {"total": 0, "confident": 0} and empty["users"] == 0
    assert _run("db", "upgrade", env=env).returncode == 0
    _fill(db)
    data = json.loads(_run("stats", "--json", env=env).stdout)
    assert data["inquiries"] == {"total": 3, "confident": 2} and data["users"] == 2
    assert (data["assessments"], data["subscribers"], data["broadcasts"]) == (1, 2, 1)
    assert data["deliveries"] == {"sent": 2, "failed": 1}


def test_backup_and_restore_sqlite(tmp_path: Path) -> None:
    db, copy = tmp_path / "live.db", tmp_path / "backups" / "b.db"
    env = {"COOPBOT_DATABASE_URL": f"sqlite:///{db}"}
    assert _run("db", "upgrade", env=env).returncode == 0
    _fill(db)
    writer = sqlite3.connect(db)  # another process is writing: the backup stays consistent
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM delivery")
    out = _run("db", "backup", str(copy), env=env)
    writer.rollback()
    writer.close()
    assert out.returncode == 0, out.stderr
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM inquiry")
    refused = _run("db", "restore", str(copy), env=env)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert _run("db", "restore", str(copy), "--yes", env=env).returncode == 0
    data = json.loads(_run("stats", "--json", env=env).stdout)
    assert data["inquiries"]["total"] == 3 and data["deliveries"] == {"sent": 2, "failed": 1}
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    bad = _run("db", "restore", str(tmp_path / "junk.db"), "--yes", env=env)
    assert bad.returncode == 1 and "SQLite" in bad.stderr


def test_retention_command(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    env = {"COOPBOT_DATABASE_URL": f"sqlite:///{db}", "COOPBOT_RETENTION_DAYS": "30"}
    assert _run("db", "upgrade", env=env).returncode == 0
    _fill(db)
    out = _run("db", "retention", env=env)
    assert out.returncode == 0 and "cleared text of 3 inquiries" in out.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM inquiry WHERE text IS NULL").fetchone() == (3,)


def test_every_bad_value_gets_its_own_line() -> None:
    env = {
        "COOPBOT_PORT": "99999",
        "COOPBOT_RETENTION_DAYS": "0",
        "COOPBOT_DATABASE_URL": "mysql://root:hunter2@db/x",
        "TELEGRAM_WEBHOOK_URL": "example.org/hook",
        "COOPBOT_LOG_FORMAT": "xml",
        "COOPBOT_KNOWLEDGE_DIR": "/nonexistent/knowledge",
    }
    out = _run("ask", "x", env=env)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and "Traceback" not in out.stderr and "hunter2" not in out.stderr
    named = ["COOPBOT_PORT", "COOPBOT_RETENTION_DAYS", "COOPBOT_DATABASE_URL"]
    named += ["TELEGRAM_WEBHOOK_URL", "COOPBOT_LOG_FORMAT", "COOPBOT_KNOWLEDGE_DIR"]
    assert len(lines) == len(named)
    for name in named:
        assert any(line.startswith(f"configuration: {name}: ") for line in lines), name


def test_json_logs_one_object_per_line(tmp_path: Path) -> None:
    env = {"COOPBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'j.db'}", "COOPBOT_LOG_FORMAT": "json"}
    out = _run("db", "upgrade", env=env)
    records = [json.loads(line) for line in out.stderr.splitlines()]
    assert records and all({"ts", "level", "logger", "msg"} <= set(r) for r in records)
    assert any(r["logger"].startswith("alembic") for r in records)


def test_json_formatter_keeps_extras_and_redacts_tracebacks() -> None:
    redact = RedactSecrets(["s3cr3t-value"])
    try:
        raise ValueError("GET https://api/bot123456:AAAAAAAAAAAAAAAAAAAAAAAAAA/x s3cr3t-value")
    except ValueError:
        exc = sys.exc_info()
    record = logging.LogRecord(
        "coopbot.x", logging.ERROR, __file__, 1, "%s", ("s3cr3t-value",), exc
    )
    record.channel = "zalo"
    line = JsonFormatter(redact).format(record)
    data = json.loads(line)
    assert data["channel"] == "zalo" and data["level"] == "ERROR" and "ValueError" in data["exc"]
    assert "s3cr3t" not in line and "AAAAAAAA" not in line and "\n" not in line
