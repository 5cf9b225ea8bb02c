"""The command-line contract of ARCHITECTURE.md, run as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

KEYS = {
    "q",
    "answer",
    "confident",
    "entry_id",
    "score",
    "suggestions",
    "sources",
    "kind",
    "entries",
}


def _run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        input=stdin,
        timeout=120,
    )


def test_ask_json_one_question() -> None:
    out = _run("ask", "--json", "lap htx can bao nhieu nguoi")
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout)
    assert set(row) == KEYS and row["confident"] and row["entry_id"]
    assert row["sources"] and "Nguồn:" in row["answer"]


def test_ask_plain_prints_the_answer() -> None:
    out = _run("ask", "Hôm nay trời có mưa không?")
    assert out.returncode == 0 and "ngoài những gì mình biết" in out.stdout


def test_ask_batch_keeps_order(tmp_path: Path) -> None:
    questions = ["Quỹ chung không chia trích bao nhiêu", "zzzz", "thoi han gop von htx"]
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join(json.dumps({"q": q}, ensure_ascii=False) for q in questions))
    out = _run("ask", "--json", "--batch", str(batch))
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["q"] for r in rows] == questions
    assert [r["confident"] for r in rows] == [True, False, True]
    assert rows[1]["entry_id"] is None and rows[1]["sources"] == []


def test_kb_check_clean_and_broken(tmp_path: Path) -> None:
    assert _run("kb", "check").returncode == 0
    broken = tmp_path / "knowledge"
    subprocess.run(
        ["cp", "-r", str(Path(__file__).parent.parent / "knowledge"), str(broken)], check=True
    )
    data = {"topic": "x", "title": "x", "entries": [{"id": "Bad Id", "title": "t"}]}
    (broken / "faq" / "x.yaml").write_text(yaml.safe_dump(data))
    out = _run("kb", "check", env={"COOPBOT_KNOWLEDGE_DIR": str(broken)})
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert "knowledge/faq/x.yaml: Bad Id: entries.0.id: String should match pattern" in lines[0]
    assert all(line.startswith("knowledge/faq/x.yaml: Bad Id: ") for line in lines)


def test_kb_export_json() -> None:
    out = _run("kb", "export", "--json")
    rows = json.loads(out.stdout)
    assert len(rows) >= 150
    assert all(set(r) == {"id", "questions", "answer", "sources"} and r["sources"] for r in rows)


def test_eval_prints_the_score(tmp_path: Path) -> None:
    file = tmp_path / "e.jsonl"
    file.write_text(
        '{"id": "a", "q": "HTX có con dấu không?", "expect": ["con dau"]}\n'
        '{"id": "b", "q": "cách làm bánh chưng", "oos": true}\n',
        encoding="utf-8",
    )
    out = _run("eval", str(file))
    assert out.stdout.strip().splitlines()[-1] == (
        "in-scope 1/1 (declined 0, confidently wrong 0), out-of-scope declined 1/1"
    )


def test_bad_configuration_is_one_clear_line() -> None:
    out = _run("ask", "x", env={"COOPBOT_PORT": "not-a-port"})
    assert out.returncode == 2 and "COOPBOT_PORT" in out.stderr and "Traceback" not in out.stderr


def test_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    out = _run("db", "upgrade", env={"COOPBOT_DATABASE_URL": url})
    assert out.returncode == 0 and (tmp_path / "cli.db").exists()


def test_terminal_chat_with_numbered_buttons() -> None:
    out = _run("chat", stdin="quỹ\n1\n/thoat\n")
    assert out.returncode == 0, out.stderr
    assert "Xin chào" in out.stdout and out.stdout.count("Bot:") >= 4
    assert "Tạm biệt" in out.stdout


def test_admin_create_user_reads_the_password_from_stdin(tmp_path: Path) -> None:
    env = {"COOPBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'admin.db'}"}
    out = _run(
        "admin", "create-user", "Chi", "--role", "officer", env=env, stdin="mat-khau-dai-123\n"
    )
    assert out.returncode == 0 and "created chi (officer)" in out.stdout, out.stderr
    assert "mat-khau-dai-123" not in out.stdout + out.stderr
    again = _run(
        "admin", "create-user", "chi", "--role", "staff", env=env, stdin="mat-khau-khac-456\n"
    )
    assert again.returncode == 2 and "already taken" in again.stderr
    short = _run("admin", "create-user", "dung", "--role", "staff", env=env, stdin="ngan\n")
    assert short.returncode == 2 and "at least 10" in short.stderr
    listed = _run("admin", "list-users", env=env)
    assert listed.stdout.splitlines() == ["chi\tofficer\tactive"]
