"""Per-message latency (p50/p99) of ``Core.answer``, start-up time and resident memory,
in-process, over every message of the eval sets: first uncached, then repeated (cached).

Runs each configuration in a fresh subprocess so memory and start-up are measured alone:
the full knowledge base, and the base replicated to 5,000 entries.
Usage: python bench/latency.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROUNDS = 3
SETS = ("dev.jsonl", "heldout.jsonl", "realistic.jsonl", "realistic_calib.jsonl")


def measure(replicate_to: int) -> dict[str, float]:
    """Build the core (optionally with a replicated base) and time every eval question."""
    from bot.evaluate import read_jsonl
    from coopbot.config import load_settings
    from coopbot.core import build_core

    started = time.perf_counter()
    core = build_core(load_settings())
    startup = time.perf_counter() - started
    if replicate_to:
        kb = core.kb
        copies = [
            replace(e, id=f"{e.id}-r{n}")
            for n in range(replicate_to // len(kb.entries) + 1)
            for e in kb.entries
        ][:replicate_to]
        big = replace(kb, entries=tuple(copies), by_id={e.id: e for e in copies})
        started = time.perf_counter()
        core.live.router = core.live.factory.build(big)
        startup = time.perf_counter() - started
    questions = [r["q"] for f in SETS for r in read_jsonl(HERE / "eval" / f)]
    new, again = [], []
    for q in questions:  # each asked twice in a row: new, then from the cache (a cycle over
        for n in range(ROUNDS):  # more messages than the cache holds would only ever miss)
            t = time.perf_counter()
            core.answer(q)
            (again if n else new).append((time.perf_counter() - t) * 1000)
    new.sort()
    again.sort()
    return {
        "entries": len(core.router.kb.entries),
        "questions": len(new),
        "p50_ms": round(new[len(new) // 2], 3),
        "p99_ms": round(new[int(len(new) * 0.99)], 3),
        "again_p50_ms": round(again[len(again) // 2], 3),
        "startup_s": round(startup, 3),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    """Print a markdown table; each row from its own process."""
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(measure(int(sys.argv[2]))))
        return
    print("| knowledge base | messages | new: p50 | new: p99 | repeated: p50 | index build | RSS |")
    print("|---|---|---|---|---|---|---|")
    for size in (0, 5000):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| {r['entries']} entries | {r['questions']} | {r['p50_ms']} ms | {r['p99_ms']} ms "
            f"| {r['again_p50_ms']} ms | {r['startup_s']} s | {r['rss_mb']} MB |"
        )


if __name__ == "__main__":
    main()
