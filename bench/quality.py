"""Answer quality: coopbot against two baselines on the dev and held-out sets.

Baseline thresholds are fit on the dev set (the best in-scope + out-of-scope sum), as
coopbot's calibration is; the held-out set is used by none of them.
Usage: python bench/quality.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from baselines import answerer, bm25_scorer, wratio_scorer

from bot.cli import ask_json
from bot.evaluate import evaluate, read_jsonl
from coopbot.config import load_settings
from coopbot.core import build_core

EVAL = Path(__file__).resolve().parent / "eval"


def fit_threshold(kb: Any, scorer: Any, dev: list[dict[str, Any]], grid: np.ndarray) -> float:
    """Threshold with the best in-scope accuracy + out-of-scope rejection on dev."""
    cache = {row["q"]: scorer(row["q"]) for row in dev}

    def total(t: float) -> float:
        result = evaluate(dev, answerer(kb, lambda q: cache[q], t))
        return float(result["inscope_accuracy"] + result["oos_rejection"])

    return float(max(grid, key=total))


def row(name: str, result: dict[str, Any]) -> str:
    """One markdown table row."""
    styles = result["by_style"]
    story = styles.get("in:story", [0, 0])
    unacc = styles.get("in:unaccented", [0, 0])
    return (
        f"| {name} | {result['inscope'][0]}/{result['inscope'][1]} "
        f"({100 * result['inscope_accuracy']:.0f} %) | {result['oos'][0]}/{result['oos'][1]} "
        f"({100 * result['oos_rejection']:.0f} %) | {unacc[0]}/{unacc[1]} | {story[0]}/{story[1]} |"
    )


def main() -> None:
    """Print one table per evaluation set."""
    core = build_core(load_settings())
    kb = core.kb
    dev = read_jsonl(EVAL / "dev.jsonl")
    bm25, wratio = bm25_scorer(kb), wratio_scorer(kb)
    t_bm25 = fit_threshold(kb, bm25, dev, np.arange(0, 30, 0.25))
    t_wr = fit_threshold(kb, wratio, dev, np.arange(40, 100, 1.0))
    systems = {
        "coopbot": lambda q: ask_json(core, q),
        f"BM25 folded (t={t_bm25:.2f})": answerer(kb, bm25, t_bm25),
        f"rapidfuzz WRatio (t={t_wr:.0f})": answerer(kb, wratio, t_wr),
    }
    for name in ("dev.jsonl", "heldout.jsonl"):
        rows = read_jsonl(EVAL / name)
        print(f"\n{name}: {len(rows)} questions")
        print("| system | in scope right | out of scope declined | unaccented | story |")
        print("|---|---|---|---|---|")
        for label, fn in systems.items():
            print(row(label, evaluate(rows, fn)))


if __name__ == "__main__":
    main()
