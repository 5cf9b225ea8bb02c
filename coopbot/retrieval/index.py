"""Rank FAQ entries for a question: BM25 candidates, then a calibrated coverage score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from rapidfuzz import fuzz

from coopbot.knowledge.model import FaqEntry, KnowledgeBase
from coopbot.retrieval.features import Analyzer, Weights, contains_sequence, features
from coopbot.text.normalize import has_diacritics, tokens

CANDIDATES = 40  # phrasings taken from BM25 before re-scoring


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score cut-offs, calibrated by ``bench/calibrate.py`` on held-in data."""

    confident: float = 0.55
    confident_off_domain: float = 0.80
    suggest: float = 0.30


@dataclass(frozen=True, slots=True)
class Match:
    """An entry, its score in [0, 1] and the phrasing that matched best."""

    entry: FaqEntry
    score: float
    phrasing: str


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Ranked matches for one question, and whether the best one is confident."""

    analysed: tuple[str, ...]
    matches: tuple[Match, ...]
    confident: bool
    in_domain: bool

    @property
    def best(self) -> Match | None:
        """The top match, if any."""
        return self.matches[0] if self.matches else None


@dataclass(frozen=True, slots=True)
class _Doc:
    """One indexed phrasing."""

    entry: int
    text: str
    feats: frozenset[str]
    accented: frozenset[str]
    weight: float


class Retriever:
    """Index over every phrasing and title of every entry."""

    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds | None = None) -> None:
        self.kb = kb
        self.entries: Sequence[FaqEntry] = kb.entries
        self.thresholds = thresholds or Thresholds()
        lex = kb.lexicon
        raw_docs = [(i, q) for i, e in enumerate(self.entries) for q in (*e.questions, e.title)]
        analysed = [lex.analyze(text) for _, text in raw_docs]
        vocab = {t for toks in analysed for t in toks}
        vocab |= {t for e in self.entries for t in lex.analyze(e.answer)}
        self.analyzer = Analyzer(lex, vocab)
        entry_feats: list[set[str]] = [set() for _ in self.entries]
        for (i, _), toks in zip(raw_docs, analysed, strict=True):
            entry_feats[i].update(features(toks))
        self.weights = Weights.build(entry_feats)
        self.entry_feats = [frozenset(f) for f in entry_feats]
        self.docs = [
            _Doc(i, " ".join(toks), frozenset(features(toks)), frozenset(tokens(text)),
                 self.weights.total(set(features(toks))))
            for (i, text), toks in zip(raw_docs, analysed, strict=True)
        ]
        self.bm25 = bm25s.BM25()
        self.bm25.index([features(toks) or ["_"] for toks in analysed], show_progress=False)
        self._bm25_vocab = frozenset(self.bm25.vocab_dict)
        self.domain_terms = [t for t in (lex.analyze(d) for d in kb.domain_terms) if t]

    def search(self, text: str, limit: int = 3) -> SearchResult:
        """Rank entries for ``text``; ``confident`` says whether to answer with the best."""
        toks = self.analyzer.analyze(text)
        feats = features(toks)
        in_domain = any(contains_sequence(toks, term) for term in self.domain_terms)
        if not feats:
            return SearchResult(tuple(toks), (), False, in_domain)
        accented = frozenset(tokens(text)) if has_diacritics(text) else frozenset()
        scored = self._rescore(feats, " ".join(toks), accented)
        matches = tuple(scored[:limit])
        best = matches[0].score if matches else 0.0
        t = self.thresholds
        confident = best >= (t.confident if in_domain else t.confident_off_domain)
        return SearchResult(tuple(toks), matches, confident, in_domain)

    def _candidates(self, feats: list[str]) -> list[int]:
        """Doc indexes of the best BM25 phrasings."""
        known = [f for f in feats if f in self._bm25_vocab]
        if not known:
            return []
        scores = self.bm25.get_scores(known)
        k = min(CANDIDATES, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        return [int(i) for i in top if scores[i] > 0]

    def _rescore(self, feats: list[str], text: str, accented: frozenset[str]) -> list[Match]:
        """Score candidates in [0, 1]: phrasing coverage both ways, entry coverage, fuzz."""
        w = self.weights
        qset = set(feats)
        q_total = w.total(qset)
        best: dict[int, Match] = {}
        for di in self._candidates(feats):
            doc = self.docs[di]
            shared = w.total(qset & doc.feats)
            cov_q = shared / q_total
            cov_p = shared / doc.weight if doc.weight else 0.0
            cov_e = w.total(qset & self.entry_feats[doc.entry]) / q_total
            fz = fuzz.token_sort_ratio(text, doc.text) / 100
            score = 0.35 * cov_p + 0.25 * cov_q + 0.2 * cov_e + 0.2 * fz
            if accented:
                score += 0.03 * len(accented & doc.accented) / len(accented)
            score = min(score, 1.0)
            current = best.get(doc.entry)
            if current is None or score > current.score:
                best[doc.entry] = Match(self.entries[doc.entry], score, doc.text)
        return sorted(best.values(), key=lambda m: (-m.score, m.entry.id))
