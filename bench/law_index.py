"""Law article index: build time, memory, search latency (p50/p99) and accuracy.

Latency runs every question of bench/eval/*.jsonl ROUNDS times (after one warm-up pass);
accuracy is top-1 / top-3 on bench/eval/law_queries.jsonl, where each question names the
article(s) that answer it. Memory is what tracemalloc sees allocated by building the index.
Usage: python bench/law_index.py [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coopbot.retrieval.law_index import LawIndex

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # measure this checkout, not the installed package
ROUNDS = 5
LIMIT = 3


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    return values[min(len(values) - 1, int(len(values) * share))]


def accuracy(index: LawIndex, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Top-1 and top-3 hit rates, and the questions missed at top-3."""
    top1 = top3 = 0
    missed = []
    for row in rows:
        wanted = {tuple(a) for a in row["articles"]}
        hits = index.search(str(row["q"]), limit=LIMIT)
        got = [(h.article.doc.id, h.article.number) for h in hits]
        top1 += bool(got) and got[0] in wanted
        if wanted & set(got):
            top3 += 1
        else:
            missed.append({"q": row["q"], "got": got[:1]})
    n = len(rows)
    return {
        "questions": n,
        "top1": round(top1 / n, 3),
        "top3": round(top3 / n, 3),
        "missed": missed,
    }


def main() -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description="law index benchmark")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    from coopbot.config import REPO_KNOWLEDGE
    from coopbot.knowledge import load_knowledge
    from coopbot.retrieval.law_index import LawIndex

    kb = load_knowledge(REPO_KNOWLEDGE)
    started = time.perf_counter()
    index = LawIndex(kb.law, kb.lexicon)
    build_s = time.perf_counter() - started
    del index
    gc.collect()
    tracemalloc.start()  # a second build, traced (tracing slows it, so it is not timed)
    index = LawIndex(kb.law, kb.lexicon)
    memory_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    questions = [
        str(r["q"]) for f in sorted((HERE / "eval").glob("*.jsonl")) for r in read_jsonl(f)
    ]
    for q in questions:
        index.search(q, limit=LIMIT)
    times = []
    for _ in range(ROUNDS):
        for q in questions:
            t = time.perf_counter()
            index.search(q, limit=LIMIT)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    result = {
        "articles": len(kb.law),
        "build_s": round(build_s, 3),
        "memory_mb": round(memory_mb, 2),
        "searches": len(times),
        "p50_ms": round(percentile(times, 0.5), 3),
        "p99_ms": round(percentile(times, 0.99), 3),
        "max_ms": round(times[-1], 3),
        **accuracy(index, read_jsonl(HERE / "eval" / "law_queries.jsonl")),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            if key != "missed":
                print(f"{key}: {value}")
        for miss in result["missed"]:
            print(f"  missed: {miss['q']} -> {miss['got']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
