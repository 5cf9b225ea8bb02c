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


def is_right(expect: dict[str, Any], answer: dict[str, Any]) -> bool:
    """In scope: confident and every regex matches the folded answer; out of scope: declined."""
    confident = bool(answer.get("confident"))
    if expect.get("oos"):
        return not confident
    folded = fold(answer.get("answer") or "")
    return confident and all(re.search(rx, folded) for rx in expect["expect"])


def evaluate(expected: list[dict[str, Any]], answer: AnswerFn) -> dict[str, Any]:
    """Accuracy in scope, rejection out of scope, per style, and the misses."""
    by_style: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    counts = {"in_ok": 0, "in_n": 0, "oos_ok": 0, "oos_n": 0, "declined": 0}
    misses = []
    for exp in expected:
        ans = answer(exp["q"])
        ok = is_right(exp, ans)
        prefix = "oos" if exp.get("oos") else "in"
        counts[f"{prefix}_ok"] += ok
        counts[f"{prefix}_n"] += 1
        if not exp.get("oos"):
            counts["declined"] += not ans.get("confident")
        style = by_style[f"{prefix}:{exp.get('style', '-')}"]
        style[0] += ok
        style[1] += 1
        if not ok:
            misses.append(
                {
                    "id": exp.get("id"),
                    "q": exp["q"],
                    "confident": ans.get("confident"),
                    "entry_id": ans.get("entry_id"),
                    "answer": ans["answer"][:160],
                }
            )
    return {
        "inscope_accuracy": counts["in_ok"] / counts["in_n"] if counts["in_n"] else None,
        "inscope": [counts["in_ok"], counts["in_n"]],
        "inscope_declined": counts["declined"],
        "oos_rejection": counts["oos_ok"] / counts["oos_n"] if counts["oos_n"] else None,
        "oos": [counts["oos_ok"], counts["oos_n"]],
        "by_style": dict(sorted(by_style.items())),
        "misses": misses,
    }


def summary(result: dict[str, Any]) -> str:
    """Human-readable report, misses first."""
    lines = [
        f"MISS {m['id']} conf={m['confident']} entry={m['entry_id']}: {m['q']}"
        for m in result["misses"]
    ]
    lines.append(
        f"in-scope {result['inscope'][0]}/{result['inscope'][1]} "
        f"(declined {result['inscope_declined']}), "
        f"out-of-scope declined {result['oos'][0]}/{result['oos'][1]}"
    )
    return "\n".join(lines)
