"""Score answers against an expectations file (the format of ``shared/eval/dev.jsonl``)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coopbot.text.normalize import fold

AnswerFn = Callable[[str], dict[str, Any]]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every non-blank line as a JSON object."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def verdict(expect: dict[str, Any], answer: dict[str, Any], retired: dict[str, str]) -> str:
    """``right``, ``wrong`` (a confident answer to something else) or ``declined``.

    Regex rows (the older sets): right when confident and every regex matches. Entry rows
    (``answers``: one list of acceptable entry ids per part): right when every part is answered
    by one of its entries; wrong when any confident entry answers none of the parts; an
    ask-back on an ``ambiguous_type`` row is right."""
    answered = [retired.get(e, e) for e in answer.get("entries") or []]
    if expect.get("oos"):
        return "wrong" if answered or answer.get("confident") else "declined"
    if "answers" not in expect:
        folded = fold(answer.get("answer") or "")
        ok = all(re.search(rx, folded) for rx in expect["expect"])
        return ("right" if ok else "wrong") if answer.get("confident") else "declined"
    if expect.get("ambiguous_type") and answer.get("kind") == "ask_type":
        return "right"
    parts = [{retired.get(e, e) for e in part} for part in expect["answers"]]
    if any(not any(e in part for part in parts) for e in answered):
        return "wrong"
    return "right" if all(part & set(answered) for part in parts) else "declined"


def is_right(expect: dict[str, Any], answer: dict[str, Any]) -> bool:
    """In scope: right; out of scope: declined."""
    result = verdict(expect, answer, {})
    return result == ("declined" if expect.get("oos") else "right")


def evaluate(
    expected: list[dict[str, Any]], answer: AnswerFn, retired: dict[str, str] | None = None
) -> dict[str, Any]:
    """Accuracy in scope, confidently wrong, rejection out of scope, per style, the misses."""
    by_style: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    counts = {"in_ok": 0, "in_n": 0, "oos_ok": 0, "oos_n": 0, "declined": 0, "wrong": 0}
    misses = []
    for exp in expected:
        ans = answer(exp["q"])
        result = verdict(exp, ans, retired or {})
        ok = result == ("declined" if exp.get("oos") else "right")
        prefix = "oos" if exp.get("oos") else "in"
        counts[f"{prefix}_ok"] += ok
        counts[f"{prefix}_n"] += 1
        if not exp.get("oos"):
            counts["declined"] += result == "declined"
            counts["wrong"] += result == "wrong"
        style = by_style[f"{prefix}:{exp.get('style', exp.get('shape', '-'))}"]
        style[0] += ok
        style[1] += 1
        if not ok:
            misses.append(
                {
                    "id": exp.get("id"),
                    "q": exp["q"],
                    "confident": ans.get("confident"),
                    "verdict": result,
                    "entry_id": ans.get("entry_id"),
                    "entries": ans.get("entries"),
                    "expected": exp.get("answers"),
                    "answer": ans["answer"][:160],
                }
            )
    return {
        "inscope_accuracy": counts["in_ok"] / counts["in_n"] if counts["in_n"] else None,
        "inscope": [counts["in_ok"], counts["in_n"]],
        "inscope_declined": counts["declined"],
        "inscope_wrong": counts["wrong"],
        "oos_rejection": counts["oos_ok"] / counts["oos_n"] if counts["oos_n"] else None,
        "oos": [counts["oos_ok"], counts["oos_n"]],
        "by_style": dict(sorted(by_style.items())),
        "misses": misses,
    }


def summary(result: dict[str, Any]) -> str:
    """Human-readable report, misses first."""
    lines = [
        f"MISS {m['id']} {m['verdict']} entries={m['entries']}: {m['q']}" for m in result["misses"]
    ]
    lines.append(
        f"in-scope {result['inscope'][0]}/{result['inscope'][1]} "
        f"(declined {result['inscope_declined']}, confidently wrong {result['inscope_wrong']}), "
        f"out-of-scope declined {result['oos'][0]}/{result['oos'][1]}"
    )
    return "\n".join(lines)
