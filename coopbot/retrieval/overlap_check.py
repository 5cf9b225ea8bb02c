"""``kb check``: entries that answer the same question (text near-duplicates, or phrasings the
retriever confidently sends to another entry), except pairs listed in overlaps_ok.yaml."""

from __future__ import annotations

from pathlib import Path

import yaml

from coopbot.errors import Problem
from coopbot.knowledge.model import KnowledgeBase
from coopbot.knowledge.overlap import (
    RETRIEVAL_CONFIDENCE,
    Search,
    overlapping_pairs,
    retrieval_overlaps,
    text_overlaps,
)
from coopbot.retrieval.index import Retriever

ALLOWED = "overlaps_ok.yaml"


def retriever_search(kb: KnowledgeBase) -> Search:
    """The real retriever, hiding the phrasing being searched (leave-one-out)."""
    retriever = Retriever(kb)

    def search(text: str, index: int) -> tuple[str | None, float]:
        result = retriever.search(text, exclude=index)
        return (result.best.entry.id if result.best else None), result.confidence

    return search


def allowed_pairs(root: Path) -> tuple[set[tuple[str, str]], list[Problem]]:
    """Pairs kept apart on purpose, and problems with the file itself."""
    path = root / ALLOWED
    if not path.exists():
        return set(), []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    pairs, problems = set(), []
    for i, item in enumerate(data if isinstance(data, list) else [None]):
        pair = item.get("pair") if isinstance(item, dict) else None
        if not (isinstance(pair, list) and len(pair) == 2 and item.get("reason")):
            problems.append(Problem(ALLOWED, str(i), "each item needs pair: [a, b] and reason"))
            continue
        a, b = sorted(str(x) for x in pair)
        pairs.add((a, b))
    return pairs, problems


def overlap_problems(kb: KnowledgeBase, root: Path) -> list[Problem]:
    """One problem per flagged pair that is not kept apart on purpose."""
    allowed, problems = allowed_pairs(root)
    found = text_overlaps(kb.entries)
    found += retrieval_overlaps(kb.entries, retriever_search(kb), RETRIEVAL_CONFIDENCE)
    files = {e.id: e.file for e in kb.entries}
    for (a, b), signals in overlapping_pairs(found).items():
        if (a, b) in allowed:
            continue
        evidence = signals[0].evidence[:120]
        reason = f"seems to answer the same question as '{b}' ({signals[0].kind}: {evidence})"
        problems.append(Problem(files.get(a, "faq"), a, reason))
    return problems
