"""Find FAQ entries that answer the same question: near-duplicate phrasings or titles, and
phrasings the retriever confidently sends to another entry. Pure: no I/O, no retriever import
(the caller passes a search function), so ``kb check`` and tools can share it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from coopbot.knowledge.model import FaqEntry
from coopbot.text.normalize import fold, tokens

PHRASING_SIMILARITY = 90.0  # rapidfuzz token_sort_ratio on accent-folded phrasings, 0-100
TITLE_SIMILARITY = 92.0  # titles are short, so they must be closer still
MIN_CHARS = 12  # shorter folded texts ("htx la gi") match too much by chance
RETRIEVAL_CONFIDENCE = 0.8  # a phrasing sent elsewhere at this confidence is an overlap

# search(text, doc_index) -> (best entry id or None, confidence); doc_index hides that phrasing
Search = Callable[[str, int], tuple[str | None, float]]


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two entries that seem to answer one question, with the evidence."""

    first: str
    second: str
    kind: str  # "phrasing" | "title" | "retrieval"
    score: float
    evidence: str

    @property
    def pair(self) -> tuple[str, str]:
        """The two ids, sorted (a pair is reported once whatever its direction)."""
        a, b = sorted((self.first, self.second))
        return a, b


def folded(text: str) -> str:
    """Lowercase, accent-free, punctuation-free text for fuzzy comparison."""
    return " ".join(fold(t) for t in tokens(text))


def _similar(items: Sequence[tuple[str, str, str]], threshold: float, kind: str) -> list[Overlap]:
    """Pairs of (entry id, folded text, raw text) from different entries above ``threshold``."""
    keep = [it for it in items if len(it[1]) >= MIN_CHARS]
    if len(keep) < 2:
        return []
    texts = [it[1] for it in keep]
    matrix = process.cdist(
        texts, texts, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, workers=1
    )
    found: list[Overlap] = []
    rows, cols = np.nonzero(np.triu(matrix, k=1))  # above the cutoff, each pair once
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        if keep[i][0] != keep[j][0]:
            evidence = f"'{keep[i][2]}' ~ '{keep[j][2]}'"
            found.append(Overlap(keep[i][0], keep[j][0], kind, float(matrix[i, j]), evidence))
    return found


def text_overlaps(
    entries: Iterable[FaqEntry],
    phrasing_threshold: float = PHRASING_SIMILARITY,
    title_threshold: float = TITLE_SIMILARITY,
) -> list[Overlap]:
    """Entries with near-identical phrasings or titles (accent-folded, word order ignored)."""
    entries = list(entries)
    phrasings = [(e.id, folded(q), q) for e in entries for q in e.questions]
    titles = [(e.id, folded(e.title), e.title) for e in entries]
    return [
        *_similar(phrasings, phrasing_threshold, "phrasing"),
        *_similar(titles, title_threshold, "title"),
    ]


def doc_order(entries: Iterable[FaqEntry]) -> list[tuple[str, str, bool]]:
    """(entry id, text, is title) of every indexed document in retriever order: each entry's
    questions, then its title."""
    return [
        (e.id, text, i == len(e.questions))
        for e in entries
        for i, text in enumerate((*e.questions, e.title))
    ]


def retrieval_overlaps(
    entries: Iterable[FaqEntry],
    search: Search,
    min_confidence: float = RETRIEVAL_CONFIDENCE,
    only: Collection[str] | None = None,
) -> list[Overlap]:
    """Phrasings that, hidden from the index, are answered confidently by another entry.
    ``entries`` must be every indexed entry in index order (the doc numbers depend on it);
    ``only`` limits the phrasings searched to those entries."""
    found: list[Overlap] = []
    for index, (entry_id, text, is_title) in enumerate(doc_order(entries)):
        if is_title or (only is not None and entry_id not in only):
            continue
        best, confidence = search(text, index)
        if best is not None and best != entry_id and confidence >= min_confidence:
            evidence = f"'{text}' -> {best} ({confidence:.2f})"
            found.append(Overlap(entry_id, best, "retrieval", confidence, evidence))
    return found


def find_overlaps(entries: Iterable[FaqEntry], search: Search | None = None) -> list[Overlap]:
    """Every overlap signal, strongest first; retrieval only when a search is given."""
    entries = list(entries)
    found = text_overlaps(entries)
    if search is not None:
        found += retrieval_overlaps(entries, search)
    return sorted(found, key=lambda o: (-o.score, o.pair, o.kind))


def overlapping_pairs(overlaps: Iterable[Overlap]) -> dict[tuple[str, str], list[Overlap]]:
    """Signals grouped by entry pair, pairs in first-seen order."""
    pairs: dict[tuple[str, str], list[Overlap]] = {}
    for overlap in overlaps:
        pairs.setdefault(overlap.pair, []).append(overlap)
    return pairs
