"""Rank law articles for a question (the labelled fallback when no FAQ entry is confident).

Two BM25 indexes over the project's own analysis (lexicon tokens plus bigrams): article titles
and article texts; a title match weighs ``TITLE_WEIGHT`` times a text match, and articles of a
document not plainly in force weigh ``NOT_IN_FORCE`` (the fallback should quote current law).
The normalised score is the raw score over what the question's words earn in an article of
average length that holds each of them once, in title and text (a word no article has counts
as a rare word found nowhere); it reads as "how much of the question the article covers",
is comparable between questions, and is capped at 1.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from coopbot.knowledge.law import LawArticle, LawLibrary
from coopbot.retrieval.features import features
from coopbot.text.lexicon import Lexicon

TITLE_WEIGHT = 2.0
NOT_IN_FORCE = 0.9  # repealed / uncertain / expired documents rank a little lower
K1 = 1.5  # bm25s defaults
B = 0.75


@dataclass(frozen=True, slots=True)
class LawHit:
    """One ranked article: raw BM25 score and the score normalised to [0, 1]."""

    article: LawArticle
    score: float
    normalised: float


class LawIndex:
    """Built once at start-up over every article of the library; searches are pure."""

    def __init__(
        self,
        library: LawLibrary,
        lexicon: Lexicon,
        title_weight: float = TITLE_WEIGHT,
        not_in_force: float = NOT_IN_FORCE,
    ) -> None:
        self.lexicon = lexicon
        self.articles: Sequence[LawArticle] = tuple(library)
        self.title_weight = title_weight
        titles = [features(lexicon.analyze(a.title)) for a in self.articles]
        texts = [features(lexicon.analyze(a.text)) for a in self.articles]
        self._titles = _bm25(titles)
        self._texts = _bm25(texts)
        self._idf = _idf(texts)
        self._title_idf = _idf(titles)
        self._unknown = math.log(1 + (len(self.articles) + 0.5) / 0.5)
        self._prior = np.array(
            [1.0 if a.doc.status == "in_force" else not_in_force for a in self.articles],
            dtype=np.float32,
        )

    def search(self, text: str, limit: int = 3) -> tuple[LawHit, ...]:
        """The ``limit`` best articles for ``text`` (only those sharing a word with it)."""
        feats = list(dict.fromkeys(features(self.lexicon.analyze(text))))
        if not feats or not self.articles:
            return ()
        scores = self._scores(self._titles, feats) * self.title_weight
        scores += self._scores(self._texts, feats)
        scores *= self._prior
        k = min(limit, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        order = sorted((int(i) for i in top if scores[i] > 0), key=lambda i: (-scores[i], i))
        bound = self._bound(feats)
        return tuple(
            LawHit(self.articles[i], float(scores[i]), min(1.0, float(scores[i]) / bound))
            for i in order
        )

    def _scores(self, index: bm25s.BM25 | None, feats: list[str]) -> np.ndarray:
        """BM25 scores of every article for the features the index knows (zeros if none)."""
        if index is None:
            return np.zeros(len(self.articles), dtype=np.float32)
        known = [f for f in feats if f in index.vocab_dict]
        if not known:
            return np.zeros(len(self.articles), dtype=np.float32)
        return np.asarray(index.get_scores(known), dtype=np.float32)

    def _bound(self, feats: list[str]) -> float:
        """Score of an average-length article holding each feature once in title and text
        (BM25 then gives exactly the IDF); unknown features count as the rarest word."""
        total = 0.0
        for f in feats:
            text, title = self._idf.get(f), self._title_idf.get(f)
            if text is None and title is None:
                text = title = self._unknown
            total += (text or 0.0) + (title or 0.0) * self.title_weight
        return total or 1.0


def _bm25(corpus: list[list[str]]) -> bm25s.BM25 | None:
    """A BM25 index over tokenised documents (None when nothing has a token)."""
    if not any(corpus):
        return None
    index = bm25s.BM25(k1=K1, b=B)
    index.index([doc or ["_"] for doc in corpus], show_progress=False)
    return index


def _idf(corpus: list[list[str]]) -> dict[str, float]:
    """Lucene IDF, as bm25s computes it, for the normalising bound."""
    df: Counter[str] = Counter()
    for doc in corpus:
        df.update(set(doc))
    n = len(corpus)
    return {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
