"""Where the database is (issue 15 item 9), through real subprocesses: the default lives in the
per-user data folder whatever the current folder, every admin command names it, an old
./coopbot.db is kept in use and named, serve says where it listens, the terminal keeps nothing."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.test_cli import _run

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "mat-khau-dai-123\n"


def _env(tmp_path: Path) -> dict[str, str]:
    """No database URL (empty counts as unset), a private data folder, this checkout's code."""
    return {
        "COOPBOT_DATABASE_URL": "",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHONPATH": str(ROOT),
    }


def _folder(tmp_path: Path, name: str) -> Path:
    """An empty working folder."""
    path = tmp_path / name
    path.mkdir()
    return path


def test_admin_commands_share_the_default_database_from_any_folder(tmp_path: Path) -> None:
    env = _env(tmp_path)
    default = tmp_path / "data" / "coopbot" / "coopbot.db"
    a, b = _folder(tmp_path, "a"), _folder(tmp_path, "b")
    made = _run("admin", "create-user", "an", "--role", "admin", env=env, cwd=a, stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    assert made.stderr.splitlines() == [f"coopbot: database: {default}"]  # no Alembic INFO lines
    listed = _run("admin", "list-users", env=env, cwd=b)
    assert listed.stdout.splitlines() == ["an\tadmin\tactive"], listed.stderr
    assert default.is_file() and not (a / "coopbot.db").exists()
    for args in (("stats",), ("db", "upgrade"), ("db", "retention"), ("broadcast", "list")):
        out = _run(*args, env=env, cwd=b)
        assert out.returncode == 0, (args, out.stderr)
        assert out.stderr.splitlines() == [f"coopbot: database: {default}"], args


def test_an_explicit_url_is_named_without_its_password(tmp_path: Path) -> None:
    db = tmp_path / "mine.db"
    out = _run("db", "upgrade", env={**_env(tmp_path), "COOPBOT_DATABASE_URL": f"sqlite:///{db}"})
    assert out.returncode == 0 and out.stderr.splitlines() == [f"coopbot: database: {db}"]
    assert not (tmp_path / "data").exists()
    url = "postgresql://coopbot:s3cret-pw@127.0.0.1:1/nowhere"
    failed = _run("stats", env={**_env(tmp_path), "COOPBOT_DATABASE_URL": url})
    assert "coopbot: database: postgresql+asyncpg://coopbot:***@127.0.0.1:1/nowhere" in (
        failed.stderr
    )
    assert "s3cret-pw" not in failed.stderr + failed.stdout
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert failed.stderr.splitlines()[-1].startswith("coopbot: cannot use the database ")


def test_json_logs_stay_one_object_per_line(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    env = {"COOPBOT_DATABASE_URL": f"sqlite:///{db}", "COOPBOT_LOG_FORMAT": "json"}
    out = _run("db", "upgrade", env={**_env(tmp_path), **env})
    records = [json.loads(line) for line in out.stderr.splitlines()]
    assert {"logger": "coopbot", "msg": f"database: {db}"}.items() <= records[0].items()


def test_an_old_coopbot_db_here_stays_in_use_and_is_named(tmp_path: Path) -> None:
    old = _folder(tmp_path, "old")
    env = _env(tmp_path)
    with_url = {**env, "COOPBOT_DATABASE_URL": f"sqlite:///{old / 'coopbot.db'}"}
    made = _run("admin", "create-user", "chi", "--role", "staff", env=with_url, stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    listed = _run("admin", "list-users", env=env, cwd=old)
    assert listed.stdout.splitlines() == ["chi\tstaff\tactive"], listed.stderr
    assert "using ./coopbot.db found in this folder" in listed.stderr
    assert str(tmp_path / "data" / "coopbot" / "coopbot.db") in listed.stderr
    assert f"coopbot: database: {old / 'coopbot.db'}" in listed.stderr
    assert not (tmp_path / "data").exists()


def test_serve_prints_where_it_listens_and_which_database(tmp_path: Path) -> None:
    env = {**os.environ, **_env(tmp_path), "COOPBOT_PORT": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=_folder(tmp_path, "run"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _first_line(proc, timeout=120)
        default = tmp_path / "data" / "coopbot" / "coopbot.db"
        assert line.startswith("coopbot: http://127.0.0.1:"), line
        assert line.endswith(f"(database: {default})")
        base = line.split()[1]
        with urllib.request.urlopen(base + "/favicon.ico", timeout=10) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "image/x-icon"
            assert resp.read(4) == b"\x00\x00\x01\x00"  # an ICO file
        assert default.is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert "alembic" not in err


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The first line the process prints, waiting at most ``timeout`` seconds."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if sel.select(timeout=1):
                return proc.stdout.readline().strip()
            if proc.poll() is not None:
                break
    raise AssertionError(f"serve printed nothing (exit {proc.poll()})")


def test_terminal_chat_says_it_keeps_nothing(tmp_path: Path) -> None:
    here = _folder(tmp_path, "here")
    out = _run("chat", env=_env(tmp_path), cwd=here, stdin="cam on ban nhieu nha\n/thoat\n")
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0]
    assert "không lưu gì" in first and "không dùng cơ sở dữ liệu" in first
    assert "Không có gì" in out.stdout
    assert list(here.iterdir()) == [] and not (tmp_path / "data").exists()
