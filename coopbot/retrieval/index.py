"""Rank FAQ entries for a question: BM25 candidates, feature re-scoring, calibrated confidence."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import bm25s
import numpy as np
from rapidfuzz import fuzz

from coopbot.knowledge.model import FaqEntry, KnowledgeBase
from coopbot.retrieval.calibration import Calibration
from coopbot.retrieval.features import Analyzer, Weights, contains_sequence, features
from coopbot.text.normalize import has_diacritics, tokens

CANDIDATES = 40  # phrasings taken from BM25 before re-scoring
INCIDENTAL = 0.35  # weight factor of a word only one phrasing of an entry uses (story details)
ACCENT_BONUS = 0.03  # tie-break toward entries whose accented words match an accented question


@dataclass(frozen=True, slots=True)
class Match:
    """An entry, its ranking score and the phrasing that matched best."""

    entry: FaqEntry
    score: float
    phrasing: str


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Ranked matches for one question and the calibrated confidence in the best one."""

    analysed: tuple[str, ...]
    matches: tuple[Match, ...]
    confidence: float
    confident: bool
    in_domain: bool
    conf_features: tuple[float, ...] = ()

    @property
    def best(self) -> Match | None:
        """The top match, if any."""
        return self.matches[0] if self.matches else None


@dataclass(frozen=True, slots=True)
class Candidate:
    """Ranking features of one entry for one question."""

    entry: int
    doc: int
    values: tuple[float, ...]
    score: float


@dataclass(frozen=True, slots=True)
class _Doc:
    """One indexed phrasing."""

    entry: int
    text: str
    feats: frozenset[str]
    accented: frozenset[str]
    weight: float


SEARCH_CACHE = 4096  # results kept for repeated questions (farmers ask the same things)


class Retriever:
    """Index over every phrasing and title of every entry."""

    def __init__(self, kb: KnowledgeBase, calibration: Calibration | None = None) -> None:
        self.kb = kb
        self.entries: Sequence[FaqEntry] = kb.entries
        self.calibration = calibration or Calibration.load()
        lex = kb.lexicon
        raw_docs = [(i, q) for i, e in enumerate(self.entries) for q in (*e.questions, e.title)]
        analysed = [lex.analyze(text) for _, text in raw_docs]
        vocab = {t for toks in analysed for t in toks}
        vocab |= {t for e in self.entries for t in lex.analyze(e.answer)}
        self.analyzer = Analyzer(lex, vocab)
        self.entry_counts: list[Counter[str]] = [Counter() for _ in self.entries]
        for (i, _), toks in zip(raw_docs, analysed, strict=True):
            self.entry_counts[i].update(set(features(toks)))
        self.weights = Weights.build(set(c) for c in self.entry_counts)
        self.answer_feats = [frozenset(features(lex.analyze(e.answer))) for e in self.entries]
        self.docs = []
        for (i, text), toks in zip(raw_docs, analysed, strict=True):
            feats = frozenset(features(toks))
            doc = _Doc(i, " ".join(toks), feats, frozenset(tokens(text)), 0.0)
            self.docs.append(doc)
        self.docs = [replace(d, weight=self._doc_weight(d, d.feats, None)) for d in self.docs]
        self.bm25 = bm25s.BM25()
        self.bm25.index([features(toks) or ["_"] for toks in analysed], show_progress=False)
        self._bm25_vocab = frozenset(self.bm25.vocab_dict)
        self.domain_terms = [t for t in (lex.analyze(d) for d in kb.domain_terms) if t]
        self._cache: dict[tuple[str, int], SearchResult] = {}
        self._cached_for: Calibration | None = None

    def search(self, text: str, limit: int = 3, exclude: int | None = None) -> SearchResult:
        """Rank entries for ``text``; ``exclude`` hides one phrasing (leave-one-out calibration).
        Results are pure in the text, so repeated questions come from a bounded cache."""
        if exclude is not None:
            return self._search(text, limit, exclude)
        if self._cached_for is not self.calibration:  # re-fitted: old results are stale
            self._cache.clear()
            self._cached_for = self.calibration
        key = (text, limit)
        found = self._cache.pop(key, None)
        if found is None:
            found = self._search(text, limit, None)
            if len(self._cache) >= SEARCH_CACHE:
                self._cache.pop(next(iter(self._cache)))
        self._cache[key] = found  # most recently used last
        return found

    def _search(self, text: str, limit: int, exclude: int | None) -> SearchResult:
        """Rank entries for ``text`` (uncached)."""
        cal = self.calibration
        toks = self.analyzer.analyze(text)
        in_domain = any(contains_sequence(toks, term) for term in self.domain_terms)
        cands = self.candidates(text, toks, exclude)
        if not cands:
            return SearchResult(tuple(toks), (), 0.0, False, in_domain)
        conf_values = self.confidence_features(toks, cands, in_domain)
        confidence = cal.confidence(conf_values)
        matches = tuple(
            Match(self.entries[c.entry], c.score, self.docs[c.doc].text) for c in cands[:limit]
        )
        return SearchResult(
            tuple(toks), matches, confidence, confidence >= cal.threshold, in_domain, conf_values
        )

    def candidates(self, text: str, toks: list[str], exclude: int | None = None) -> list[Candidate]:
        """Entries ranked by the calibrated linear score over their best phrasing."""
        feats = features(toks)
        if not feats:
            return []
        w = self.weights
        qset = set(feats)
        q_total = w.total(qset)
        joined = " ".join(toks)
        accented = frozenset(tokens(text)) if has_diacritics(text) else frozenset()
        best: dict[int, Candidate] = {}
        for di in self._bm25_top(feats):
            if di == exclude:
                continue
            doc = self.docs[di]
            shared = self._doc_weight(doc, qset & doc.feats, exclude)
            weight = doc.weight if exclude is None else self._doc_weight(doc, doc.feats, exclude)
            values = (
                shared / weight if weight else 0.0,
                shared / q_total,
                self._entry_cover(qset, doc.entry, exclude) / q_total,
                fuzz.token_sort_ratio(joined, doc.text) / 100,
                fuzz.token_set_ratio(joined, doc.text) / 100,
            )
            score = self.calibration.rank(values)
            if accented:
                score += ACCENT_BONUS * len(accented & doc.accented) / len(accented)
            current = best.get(doc.entry)
            if current is None or score > current.score:
                best[doc.entry] = Candidate(doc.entry, di, values, score)
        return sorted(best.values(), key=lambda c: (-c.score, self.entries[c.entry].id))

    def confidence_features(
        self, toks: list[str], cands: list[Candidate], in_domain: bool
    ) -> tuple[float, ...]:
        """Inputs of the confidence model for the top candidate (see CONF_FEATURES)."""
        top = cands[0]
        second = cands[1].score if len(cands) > 1 else 0.0
        unigrams = set(toks)
        total = self.weights.total(unigrams) or 1.0
        oov = self.weights.total(t for t in unigrams if t not in self.analyzer.vocabulary) / total
        return (
            top.score,
            top.score - second,
            top.values[0],
            top.values[1],
            top.values[2],
            top.values[3],
            float(in_domain),
            oov,
            math.log1p(len(toks)),
        )

    def _doc_weight(self, doc: _Doc, feats: Iterable[str], exclude: int | None) -> float:
        """IDF weight of a phrasing's features; words no other phrasing or the answer of the
        entry uses are incidental (a story's crop, place, family) and count less."""
        counts = self.entry_counts[doc.entry]
        answer = self.answer_feats[doc.entry]
        hidden = self.docs[exclude].feats if exclude is not None else frozenset()
        same_entry = exclude is not None and self.docs[exclude].entry == doc.entry
        total = 0.0
        for f in feats:
            support = counts[f] - (1 if same_entry and f in hidden else 0)
            factor = 1.0 if support >= 2 or f in answer else INCIDENTAL
            total += self.weights(f) * factor
        return total

    def _entry_cover(self, qset: set[str], entry: int, exclude: int | None) -> float:
        """Weight of the question's features found in any phrasing of the entry."""
        counts = self.entry_counts[entry]
        hidden: frozenset[str] = frozenset()
        if exclude is not None and self.docs[exclude].entry == entry:
            hidden = frozenset(f for f in self.docs[exclude].feats if counts[f] == 1)
        return self.weights.total(f for f in qset if counts[f] > 0 and f not in hidden)

    def _bm25_top(self, feats: list[str]) -> list[int]:
        """Doc indexes of the best BM25 phrasings."""
        known = [f for f in feats if f in self._bm25_vocab]
        if not known:
            return []
        scores = self.bm25.get_scores(known)
        k = min(CANDIDATES, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        return [int(i) for i in top if scores[i] > 0]
