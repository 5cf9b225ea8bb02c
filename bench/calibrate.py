"""Fit the ranker weights and the confidence model; writes coopbot/retrieval/calibration.json.

Data (never the held-out set):
- leave-one-out: every phrasing of every entry, asked against the base without that phrasing;
- bench/eval/dev.jsonl (in scope: the right entries are those whose answer matches every regex);
- out-of-scope questions from dev.jsonl and bench/eval/calib_oos.jsonl.

Usage: python bench/calibrate.py [--write]
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from coopbot.config import REPO_KNOWLEDGE
from coopbot.dialog.render import answer_reply
from coopbot.knowledge import load_knowledge
from coopbot.retrieval import Calibration, Retriever
from coopbot.text.normalize import fold

EVAL = Path(__file__).resolve().parent / "eval"
OOS_WEIGHT = 4.0  # out-of-scope questions are few; weigh them up so they are not drowned out
L2 = 1e-4


def samples(r: Retriever) -> list[tuple[str, set[int] | None, int | None]]:
    """(question, right entry indexes or None for out of scope, phrasing to hide)."""
    out: list[tuple[str, set[int] | None, int | None]] = []
    titles = {e.title for e in r.entries}
    for di, doc in enumerate(r.docs):
        text = _doc_text(r, di)
        if text not in titles:
            out.append((text, {doc.entry}, di))
    rendered = [fold(answer_reply(e, r.kb).text) for e in r.entries]
    for path in (EVAL / "dev.jsonl", EVAL / "calib_oos.jsonl"):
        for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
            if row.get("oos"):
                out.append((row["q"], None, None))
            else:
                right = {
                    i
                    for i, a in enumerate(rendered)
                    if all(re.search(rx, a) for rx in row["expect"])
                }
                out.append((row["q"], right, None))
    return out


def _doc_text(r: Retriever, di: int) -> str:
    """The original text of an indexed phrasing."""
    i = 0
    for e in r.entries:
        for q in (*e.questions, e.title):
            if i == di:
                return q
            i += 1
    raise IndexError(di)


def fit_rank(
    r: Retriever, data: list[tuple[str, set[int] | None, int | None]]
) -> tuple[float, ...]:
    """Grid search (step 0.1 on the simplex) for the weights with the best top-1 accuracy."""
    grid = np.array(
        [w for w in itertools.product(np.arange(0, 1.01, 0.1), repeat=5) if abs(sum(w) - 1) < 1e-9]
    )
    hits = np.zeros(len(grid))
    for text, right, hide in data:
        if not right:
            continue
        cands = r.candidates(text, r.analyzer.analyze(text), hide)
        if not cands:
            continue
        values = np.array([c.values for c in cands])
        correct = np.array([c.entry in right for c in cands])
        hits += correct[np.argmax(values @ grid.T, axis=0)]
    best = grid[int(np.argmax(hits))]
    print(f"ranker: top-1 {hits.max():.0f}/{sum(1 for _, rt, _ in data if rt)} with {best}")
    return tuple(round(float(x), 2) for x in best)


def fit_confidence(
    r: Retriever, data: list[tuple[str, set[int] | None, int | None]]
) -> Calibration:
    """Logistic regression: will the top candidate be right? Then the best threshold."""
    xs, ys, ws, kinds = [], [], [], []
    for text, right, hide in data:
        res = r.search(text, exclude=hide)
        if not res.matches:
            continue
        ok = bool(right) and r.kb.entries.index(res.matches[0].entry) in (right or set())
        xs.append(res.conf_features)
        ys.append(float(ok))
        ws.append(1.0 if right else OOS_WEIGHT)
        kinds.append("in" if right else "oos")
    x, y, w = np.array(xs), np.array(ys), np.array(ws)

    def loss(theta: np.ndarray) -> float:
        z = np.clip(x @ theta[1:] + theta[0], -30, 30)
        p = 1 / (1 + np.exp(-z))
        ll = -(w * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum() / w.sum()
        return float(ll + L2 * (theta[1:] ** 2).sum())

    theta = minimize(loss, np.zeros(x.shape[1] + 1), method="L-BFGS-B").x
    p = 1 / (1 + np.exp(-np.clip(x @ theta[1:] + theta[0], -30, 30)))
    is_in = np.array([k == "in" for k in kinds])
    best_t, best_score = 0.5, -1.0
    for t in np.arange(0.2, 0.9, 0.01):
        right_in = ((p >= t) & (y == 1) & is_in).sum() / max(1, is_in.sum())
        rej_oos = (p[~is_in] < t).mean() if (~is_in).any() else 1.0
        score = right_in + rej_oos
        if score > best_score:
            best_t, best_score = float(t), float(score)
    print(f"confidence: threshold {best_t:.2f}, in-scope right + oos rejected = {best_score:.3f}")
    return replace(
        r.calibration,
        conf_bias=round(float(theta[0]), 4),
        conf_weights=tuple(round(float(v), 4) for v in theta[1:]),
        threshold=round(best_t, 2),
    )


def main() -> int:
    """Fit, report, and write when asked."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    kb = load_knowledge(REPO_KNOWLEDGE)
    r = Retriever(kb, Calibration())
    data = samples(r)
    r.calibration = replace(r.calibration, rank_weights=fit_rank(r, data))
    cal = fit_confidence(r, data)
    cal = replace(cal, fitted_on={"entries": len(kb.entries), "samples": len(data)})
    print(json.dumps({"rank": cal.rank_weights, "conf": cal.conf_weights, "bias": cal.conf_bias}))
    if args.write:
        cal.save()
        print("written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
