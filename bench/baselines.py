"""Two baselines over the same knowledge base, for bench/quality.py.

- BM25: bm25s over accent-folded tokens of every phrasing (no lexicon, no typo repair).
- WRatio: rapidfuzz ``process.extractOne`` with WRatio and its default processor.
Each answers with the best entry when its score passes a threshold fit on the dev set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bm25s
from rapidfuzz import fuzz, process, utils

from coopbot.dialog.render import answer_reply
from coopbot.knowledge import KnowledgeBase
from coopbot.text.normalize import fold, tokens

Scorer = Callable[[str], tuple[int | None, float]]


def _phrasings(kb: KnowledgeBase) -> tuple[list[str], list[int]]:
    """Every phrasing and the index of its entry."""
    texts, owners = [], []
    for i, entry in enumerate(kb.entries):
        for q in entry.questions:
            texts.append(q)
            owners.append(i)
    return texts, owners


def bm25_scorer(kb: KnowledgeBase) -> Scorer:
    """Best entry by plain BM25 on folded tokens."""
    texts, owners = _phrasings(kb)
    index = bm25s.BM25()
    index.index([[fold(t) for t in tokens(x)] or ["_"] for x in texts], show_progress=False)
    vocab = set(index.vocab_dict)

    def score(q: str) -> tuple[int | None, float]:
        words = [w for w in (fold(t) for t in tokens(q)) if w in vocab]
        if not words:
            return None, 0.0
        scores = index.get_scores(words)
        best = int(scores.argmax())
        return owners[best], float(scores[best])

    return score


def wratio_scorer(kb: KnowledgeBase) -> Scorer:
    """Best entry by rapidfuzz WRatio with the default processor."""
    texts, owners = _phrasings(kb)

    def score(q: str) -> tuple[int | None, float]:
        hit = process.extractOne(q, texts, scorer=fuzz.WRatio, processor=utils.default_process)
        return (owners[hit[2]], float(hit[1])) if hit else (None, 0.0)

    return score


def answerer(
    kb: KnowledgeBase, scorer: Scorer, threshold: float
) -> Callable[[str], dict[str, Any]]:
    """An ``ask --json``-shaped answer function for a baseline."""

    def answer(q: str) -> dict[str, Any]:
        entry, value = scorer(q)
        if entry is None or value < threshold:
            return {"q": q, "answer": "", "confident": False, "entry_id": None}
        e = kb.entries[entry]
        return {"q": q, "answer": answer_reply(e, kb).text, "confident": True, "entry_id": e.id}

    return answer
