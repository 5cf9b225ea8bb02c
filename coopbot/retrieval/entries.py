"""Whole-entry vectors over the feature space and their products with a question.

Products that weigh the question the same way are read in one gather over stacked rows: the
question's IDF weights for coverage and the two TF-IDF cosines, a plain indicator for naive Bayes
and title coverage. A long message ranks several texts, and numpy's per-call cost, not
arithmetic, dominates products this small.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple, Protocol

import numpy as np

from coopbot.retrieval.sparse import Columns


class Asked(Protocol):
    """What the products need of an analysed question."""

    @property
    def cols(self) -> np.ndarray: ...  # known features' columns, ascending
    @property
    def weights(self) -> np.ndarray: ...  # their IDF weights
    @property
    def total(self) -> float: ...  # IDF weight of every feature, unknown ones included


class Overlap(NamedTuple):
    """Per entry, products with the question's IDF weights."""

    cover: np.ndarray  # share of the question's weight found in any phrasing
    similarity: np.ndarray  # cosine with the entry's TF-IDF vector (all phrasings together)
    answer: np.ndarray  # cosine with the entry's answer text


class Fit(NamedTuple):
    """Per entry, products with the question's features, unweighted."""

    bayes: np.ndarray  # naive Bayes log-likelihood per known feature
    title: np.ndarray  # share of the title's weight the question has


class EntryVectors:
    """Coverage, TF-IDF, answer, naive Bayes and title vectors of every entry."""

    def __init__(
        self,
        counts: Sequence[Mapping[int, int]],
        answers: Sequence[Mapping[int, float]],
        titles: Sequence[Mapping[int, float]],
        idf: np.ndarray,
        width: int,
    ) -> None:
        self.n = len(counts)
        has = Columns.of([dict.fromkeys(row, 1.0) for row in counts], width)
        tfidf = _unit(
            [{c: (1 + math.log(k)) * float(idf[c]) for c, k in row.items()} for row in counts]
        )
        self.weighted = Columns.stack(
            [has, Columns.of(tfidf, width), Columns.of(_unit(answers), width)]
        )
        del tfidf
        gains, self.unseen = _bayes(counts, width)
        self.counted = Columns.stack([Columns.of(gains, width), Columns.of(titles, width)])
        self.title_totals = np.asarray([max(sum(t.values()), 1e-9) for t in titles], np.float32)

    def overlap(self, q: Asked) -> Overlap:
        """Coverage and the two cosines, in one gather."""
        n, norm, total = self.n, float(np.linalg.norm(q.weights)) or 1.0, q.total or 1.0
        products = self.weighted.dot(q.cols, q.weights)
        out = Overlap(products[:n] / total, products[n : 2 * n] / norm, products[2 * n :] / norm)
        for array in out:  # remembered and shared by the rankings of a message
            array.flags.writeable = False
        return out

    def fit(self, q: Asked) -> Fit:
        """Naive Bayes (comparable across questions of different lengths) and title coverage."""
        n, known = self.n, float(len(q.cols)) or 1.0
        products = self.counted.dot(q.cols)
        bayes = np.asarray((products[:n] + self.unseen * known) / known, np.float32)
        return Fit(bayes, products[n:] / self.title_totals)

    def rarest(self, q: Asked) -> np.ndarray:
        """Per entry: the weight of the rarest question feature it has, over the question's
        rarest known feature (a rare word such as "con dấu" points at few entries)."""
        out = np.zeros(self.n, np.float32)
        if not len(q.cols):
            return out
        rows, weights = self.weighted.rows_of(q.cols, q.weights)
        has = rows < self.n  # the coverage block: one row per entry that has the feature
        np.maximum.at(out, rows[has], weights[has])
        return out / float(q.weights.max())


def _bayes(
    counts: Sequence[Mapping[int, int]], width: int, alpha: float = 0.1
) -> tuple[list[dict[int, float]], np.ndarray]:
    """Multinomial naive Bayes over phrasings, stored sparsely: for each entry, the gain of each
    feature it has over an unseen one; unseen features cost each entry a constant."""
    totals = [sum(c.values()) for c in counts]
    unseen = np.asarray([math.log(alpha / (t + alpha * width)) for t in totals], np.float32)
    gains = [
        {f: math.log((k + alpha) / (t + alpha * width)) - float(u) for f, k in c.items()}
        for c, t, u in zip(counts, totals, unseen, strict=True)
    ]
    return gains, unseen


def _unit(rows: Sequence[Mapping[int, float]]) -> list[dict[int, float]]:
    """Each row scaled to unit length (cosine similarity by a plain product)."""
    out = []
    for row in rows:
        norm = math.sqrt(sum(v * v for v in row.values())) + 1e-9
        out.append({c: v / norm for c, v in row.items()})
    return out
