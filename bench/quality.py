"""Answer quality, side by side: coopbot, today's ranker before the issue-13 work (the code of
commit BASELINE_REF over the current knowledge base), and plain BM25.

For every set: in scope right / confidently wrong / declined, off-topic declined; for the
realistic sets, a breakdown by shape (letter, story, multi, premise, short) and accents.
Thresholds of BM25 are fit on the calibration set, as coopbot's are; the report sets
(realistic.jsonl, heldout.jsonl) are used by none of them.
Usage: python bench/quality.py [--no-baseline] [--misses realistic]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from baselines import bm25_scorer  # noqa: E402

from bot.cli import ask_json  # noqa: E402
from bot.evaluate import read_jsonl, verdict  # noqa: E402
from coopbot.config import REPO_KNOWLEDGE, load_settings  # noqa: E402
from coopbot.core import Core, build_core  # noqa: E402
from coopbot.knowledge import KnowledgeBase  # noqa: E402

EVAL = ROOT / "bench" / "eval"
BASELINE_REF = "41f447a"  # the last commit before answer selection was rebuilt
NEW_LEXICON_KEYS = ("answers",)  # lexicon keys added after BASELINE_REF
SETS = ("realistic.jsonl", "realistic_calib.jsonl", "heldout.jsonl", "dev.jsonl")
Answers = dict[str, dict[str, Any]]


def coopbot_answers(core: Core, questions: list[str]) -> Answers:
    """This checkout's answers."""
    return {q: ask_json(core, q) for q in questions}


def baseline_answers(questions: list[str]) -> Answers:
    """The answers of the code at BASELINE_REF over today's knowledge base (its questionnaires
    and the lexicon's newer keys removed: the old schema refuses them, and ``ask`` does not use
    them)."""
    with tempfile.TemporaryDirectory() as tmp:
        code, kb = Path(tmp) / "code", Path(tmp) / "knowledge"
        code.mkdir()
        archive = subprocess.run(
            ["git", "archive", BASELINE_REF], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
        shutil.copytree(REPO_KNOWLEDGE, kb)
        for flow in (kb / "questionnaires").glob("*.yaml"):
            flow.unlink()
        lexicon = yaml.safe_load((kb / "lexicon.yaml").read_text("utf-8"))
        for key in NEW_LEXICON_KEYS:
            lexicon.pop(key, None)
        (kb / "lexicon.yaml").write_text(yaml.safe_dump(lexicon, allow_unicode=True), "utf-8")
        batch = Path(tmp) / "q.jsonl"
        batch.write_text(
            "".join(json.dumps({"q": q}, ensure_ascii=False) + "\n" for q in questions), "utf-8"
        )
        env = {**os.environ, "PYTHONPATH": str(code), "COOPBOT_KNOWLEDGE_DIR": str(kb)}
        out = subprocess.run(
            [sys.executable, "-m", "bot", "ask", "--json", "--batch", str(batch)],
            cwd=code, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    for row in rows:
        row["entries"] = [row["entry_id"]] if row.get("confident") and row.get("entry_id") else []
    return {row["q"]: row for row in rows}


def bm25_answers(kb: KnowledgeBase, questions: list[str], calib: list[dict[str, Any]]) -> Answers:
    """Plain BM25's best entry when its score passes the threshold best on the calibration set."""
    score = bm25_scorer(kb)
    scored = {q: score(q) for q in {*questions, *(r["q"] for r in calib)}}
    retired = dict(kb.retired)

    def answers(t: float) -> Answers:
        out = {}
        for q, (entry, value) in scored.items():
            ids = [kb.entries[entry].id] if entry is not None and value >= t else []
            out[q] = {"q": q, "confident": bool(ids), "entries": ids}
        return out

    def fitness(t: float) -> float:
        got = answers(t)
        results = [verdict(r, got[r["q"]], retired) for r in calib]
        inscope = [v for r, v in zip(calib, results, strict=True) if not r.get("oos")]
        oos = [v for r, v in zip(calib, results, strict=True) if r.get("oos")]
        return (
            inscope.count("right") / len(inscope)
            - 3 * inscope.count("wrong") / len(inscope)
            + (oos.count("declined") / len(oos))
        )

    best = max(np.arange(0, 40, 0.5), key=fitness)
    print(f"BM25 threshold (fit on the calibration set): {best:.1f}")
    return answers(float(best))


def declined_how(row: dict[str, Any], answer: dict[str, Any], retired: dict[str, str]) -> str:
    """Of a declined in-scope message with entry labels: ``partly`` (some parts answered right,
    the others not sure), ``offered`` (not sure, a right entry among the buttons), or ``""``."""
    if row.get("oos") or "answers" not in row:
        return ""
    if verdict(row, answer, retired) != "declined":
        return ""
    if answer.get("entries"):
        return "partly"
    wanted = {retired.get(e, e) for part in row["answers"] for e in part}
    offered = {retired.get(e, e) for e in answer.get("suggestions") or []}
    return "offered" if offered & wanted else ""


def article_found(row: dict[str, Any], answer: dict[str, Any], kb: KnowledgeBase) -> bool:
    """A look-up row is right when the reply's heading names that article of that document
    ("Điều 17 Nghị định 92/2024/NĐ-CP — …", "Khoản 3 Điều 74 Luật Hợp tác xã 17/2023/QH15 — …")."""
    doc, number = row["article"]
    heading = (answer.get("answer") or "").split("\n")[0]
    document = kb.documents.get(doc)
    named = document is not None and document.number in heading
    return answer.get("kind") == "law" and f"Điều {number} " in heading and named


def table(rows: list[dict[str, Any]], answers: Answers, retired: dict[str, str]) -> dict[str, Any]:
    """Counts overall and per shape."""
    out: dict[str, Any] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        v = verdict(row, answers[row["q"]], retired)
        how = declined_how(row, answers[row["q"]], retired)
        groups = ["all", f"shape:{row.get('shape', row.get('style', '-'))}"]
        if "accents" in row:
            groups.append("accents" if row["accents"] else "no accents")
        for g in groups:
            key = "oos" if row.get("oos") else "in"
            out[g][f"{key}_{v}"] += 1
            out[g][f"{key}_n"] += 1
            out[g]["labelled"] += "answers" in row
            if how:
                out[g][f"in_{how}"] += 1
    return out


HEADER = (
    "| system | right | confidently wrong | declined (of which: partly answered, right entry "
    "offered) | off-topic declined |\n|---|---|---|---|---|"
)


def line(name: str, c: dict[str, int]) -> str:
    """One markdown row: right, confidently wrong, declined, off-topic declined."""
    n = c.get("in_n", 0) or 1
    oos, declined = c.get("oos_n", 0), c.get("oos_declined", 0)
    decl = f"{declined}/{oos} ({100 * declined / oos:.0f} %)" if oos else "–"
    right, wrong = c.get("in_right", 0), c.get("in_wrong", 0)
    how = f" ({c.get('in_partly', 0)}, {c.get('in_offered', 0)})" if c.get("labelled") else ""
    return (
        f"| {name} | {right}/{c.get('in_n', 0)} ({100 * right / n:.0f} %) "
        f"| {wrong} ({100 * wrong / n:.1f} %) | {c.get('in_declined', 0)}{how} | {decl} |"
    )


def main() -> int:
    """Print one table per set, with the breakdown by shape for the realistic sets."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-baseline", action="store_true", help="skip today's ranker")
    parser.add_argument("--misses", help="print coopbot's misses on this set (e.g. realistic)")
    args = parser.parse_args()
    sets = {name: read_jsonl(EVAL / name) for name in SETS}
    questions = sorted({r["q"] for rows in sets.values() for r in rows})
    core = build_core(load_settings())
    kb = core.kb
    retired = dict(kb.retired)
    systems: dict[str, Callable[[], Answers]] = {
        "coopbot": lambda: coopbot_answers(core, questions),
        "plain BM25": lambda: bm25_answers(kb, questions, sets["realistic_calib.jsonl"]),
    }
    if not args.no_baseline:
        systems["today's ranker (before #13)"] = lambda: baseline_answers(questions)
    answered = {name: make() for name, make in systems.items()}
    for name, rows in sets.items():
        inscope = sum(not r.get("oos") for r in rows)
        print(f"\n### {name}: {inscope} in scope, {len(rows) - inscope} off-topic\n")
        print(HEADER)
        tables = {s: table(rows, a, retired) for s, a in answered.items()}
        for system, t in tables.items():
            print(line(system, t["all"]))
        if name.startswith("realistic"):
            print("\nby shape (coopbot):\n")
            print(HEADER.replace("system", "shape", 1))
            for group, counts in sorted(tables["coopbot"].items()):
                if group != "all":
                    print(line(group, counts))
    lookups = [r for r in read_jsonl(EVAL / "realistic_pending.jsonl") if "article" in r]
    found = [r for r in lookups if article_found(r, ask_json(core, r["q"]), core.kb)]
    print(f"\n### article look-ups (realistic_pending.jsonl): {len(found)}/{len(lookups)} opened")
    for r in lookups:
        if r not in found:
            print(f"- missed {r['id']}: {r['q']}")
    if args.misses:
        for row in sets[f"{args.misses}.jsonl"]:
            ans = answered["coopbot"][row["q"]]
            v = verdict(row, ans, retired)
            if v != ("declined" if row.get("oos") else "right"):
                got, want = ans.get("entries"), row.get("answers")
                print(f"{row['id']} {v}: got {got} want {want}\n   {row['q'][:160]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
