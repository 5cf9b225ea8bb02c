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


def _sql(db: Path, *statements: str) -> list[tuple]:  # type: ignore[type-arg]
    """Run statements on a SQLite file; the last one's rows."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows: list[tuple] = []  # type: ignore[type-arg]
        for statement in statements:
            rows = conn.execute(statement).fetchall()
        return rows


def test_broadcast_send_to_nobody_queues_nothing(tmp_path: Path) -> None:
    env = {"COOPBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"}
    out = _run("broadcast", "send", "--text", "Họp ngày 15/12", "--yes", env=env)
    assert out.returncode == 1 and "no subscriber matches" in out.stderr
    assert _sql(tmp_path / "b.db", "SELECT count(*) FROM broadcast") == [(0,)]


def test_kb_merge_phrasings_writes_the_yaml_keeping_comments(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    subprocess.run(
        ["cp", "-r", str(Path(__file__).parent.parent / "knowledge"), str(knowledge)], check=True
    )
    db = tmp_path / "m.db"
    env = {"COOPBOT_DATABASE_URL": f"sqlite:///{db}", "COOPBOT_KNOWLEDGE_DIR": str(knowledge)}
    assert _run("db", "upgrade", env=env).returncode == 0
    rows = [
        ("kh-kt1185-tong-quan", "ke hoach 1185 kon tum noi gi ve htx"),
        ("kh-cac-tinh-htx-kieu-moi", "tinh nao lam ke hoach htx kieu moi vay ad"),
        ("kh-kt1185-tong-quan", "Kế hoạch 1185 Kon Tum nói gì về HTX"),  # same, with accents
        ("khong-co-muc-nay", "cau hoi cho muc khong ton tai"),
    ]
    _sql(db, *(
        "INSERT INTO extra_phrasing (entry_id, text, created_by, created_at) "
        f"VALUES ('{e}', '{t}', 'chi', '2026-12-01 00:00:00.000000')" for e, t in rows
    ))  # fmt: skip
    path = knowledge / "faq" / "ke-hoach-tinh.yaml"
    before = path.read_text(encoding="utf-8")
    dry = _run("kb", "merge-phrasings", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "faq/ke-hoach-tinh.yaml: kh-kt1185-tong-quan: + ke hoach 1185" in dry.stdout
    assert "would add 2 question(s) in 1 file(s); 1 present" in dry.stdout
    assert "khong-co-muc-nay" in dry.stderr
    assert path.read_text(encoding="utf-8") == before  # a dry run writes nothing
    out = _run("kb", "merge-phrasings", "--yes", env=env)
    assert out.returncode == 0, out.stderr
    after = path.read_text(encoding="utf-8")
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == [  # in file order; only these two lines: comments, quoting, order kept
        "      - tinh nao lam ke hoach htx kieu moi vay ad",
        "      - ke hoach 1185 kon tum noi gi ve htx",
    ]
    assert len(after.splitlines()) == len(before.splitlines()) + 2
    data = yaml.safe_load(after)
    entry = next(e for e in data["entries"] if e["id"] == "kh-kt1185-tong-quan")
    assert entry["questions"][-1] == "ke hoach 1185 kon tum noi gi ve htx"
    assert _run("kb", "check", env=env).returncode == 0
    merged = _sql(db, "SELECT entry_id FROM extra_phrasing WHERE merged_at IS NOT NULL")
    assert sorted(m for (m,) in merged) == sorted(e for e, _ in rows[:3])
    again = _run("kb", "merge-phrasings", "--yes", env=env)
    assert "added 0 question(s)" in again.stdout and path.read_text(encoding="utf-8") == after


def test_review_verdicts_jsonl(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    env = {"COOPBOT_DATABASE_URL": f"sqlite:///{db}"}
    assert _run("db", "upgrade", env=env).returncode == 0
    _sql(db, *(
        "INSERT INTO inquiry (created_at, channel, user_key, kind, text, entry_id, confident, "
        f"runner_up, margin, verdict) VALUES ('2026-12-01 00:00:00.000000', 'web', 'u', 'faq', "
        f"'{q}', 'a', 1, {r}, 0.05, {v})"
        for q, r, v in (("hoi 1", "'b'", 1), ("hoi 2", "NULL", 0), ("hoi 3", "'c'", "NULL"))
    ))  # fmt: skip
    out = _run("review", "verdicts", "--jsonl", env=env)
    assert out.returncode == 0, out.stderr
    assert [json.loads(line) for line in out.stdout.splitlines()] == [
        {"q": "hoi 1", "entry_id": "a", "right": True, "runner_up": "b"},
        {"q": "hoi 2", "entry_id": "a", "right": False, "runner_up": None},
    ]
