"""Rank FAQ entries for a question: IDF-weighted coverage over every phrasing, computed as sparse
matrix products, re-scored with fuzzy similarity; plus a TF-IDF similarity of whole entries.

Features are unigrams, bigrams and domain terms (``Terms``). Three coverages per phrasing: of
the phrasing by the question (``cov_p``, words only one story-like phrasing uses count less),
of the question by the phrasing (``cov_q``) and of the question by the whole entry (``cov_e``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from coopbot.knowledge.model import FaqEntry, KnowledgeBase
from coopbot.retrieval.calibration import Calibration
from coopbot.retrieval.entries import EntryVectors, Overlap
from coopbot.retrieval.features import Analyzer, Terms, Weights
from coopbot.retrieval.sparse import Columns
from coopbot.text.memo import Memo
from coopbot.text.normalize import has_diacritics, tokens

CANDIDATES = 24  # phrasings re-scored with fuzzy similarity
INCIDENTAL = 0.35  # weight factor of a word only one phrasing of an entry uses (story details)
ACCENT_BONUS = 0.03  # tie-break toward entries whose accented words match an accented question
SEARCH_CACHE = 4096  # results kept for repeated questions (farmers ask the same things)
OVERLAP_CACHE = 32  # entry products of the texts last ranked (one message's parts and context)


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


RankKey = tuple[tuple[str, ...], frozenset[str]]  # see Query.key


@dataclass(frozen=True, slots=True)
class Query:
    """A question analysed once: tokens, features, and its known features' columns and weights."""

    text: str
    tokens: tuple[str, ...]
    features: tuple[str, ...]
    total: float  # IDF weight of every feature, unknown ones included
    accented: frozenset[str]
    cols: np.ndarray  # the known features' columns, ascending
    weights: np.ndarray  # their IDF weights

    @property
    def key(self) -> RankKey:
        """What a ranking depends on: the analysed words and the words typed with accents (two
        texts can analyse alike, and one text analysed whole or in pieces need not)."""
        return self.tokens, self.accented


class Retriever:
    """Index over every phrasing and title of every entry."""

    def __init__(self, kb: KnowledgeBase, calibration: Calibration | None = None) -> None:
        self.kb = kb
        self.entries: Sequence[FaqEntry] = kb.entries
        self.calibration = calibration or Calibration.load()
        lex = kb.lexicon
        self.terms = Terms.build(kb.grammar.terms, lex)
        texts = [(i, q) for i, e in enumerate(self.entries) for q in (*e.questions, e.title)]
        self.doc_entry = np.asarray([i for i, _ in texts], np.int32)
        self.doc_texts = [q for _, q in texts]
        analysed = [lex.analyze(q) for _, q in texts]
        answers = [lex.analyze(e.answer) for e in self.entries]
        vocab = {t for toks in (*analysed, *answers) for t in toks}
        self.analyzer = Analyzer(lex, vocab)
        doc_feats = [frozenset(self.terms.features(t)) for t in analysed]
        entry_counts: list[dict[str, int]] = [{} for _ in self.entries]
        for i, feats in zip(self.doc_entry, doc_feats, strict=True):
            for f in feats:
                entry_counts[i][f] = entry_counts[i].get(f, 0) + 1
        self.weights = Weights.build(set(c) for c in entry_counts)
        self.features = {f: n for n, f in enumerate(sorted(self.weights.idf))}
        answer_feats = [frozenset(self.terms.features(a)) for a in answers]
        self._build_matrices(doc_feats, entry_counts, answer_feats)
        self.doc_joined = [" ".join(t) for t in analysed]
        self.doc_accented = [frozenset(tokens(q)) for q in self.doc_texts]
        self.domain_terms = frozenset(tuple(t) for t in map(lex.analyze, kb.domain_terms) if t)
        self.domain_sizes = sorted({len(t) for t in self.domain_terms})
        self._cache: dict[tuple[str, int], SearchResult] = {}
        self._overlaps: Memo[tuple[str, ...], Overlap] = Memo(OVERLAP_CACHE)  # by words
        self._cached_for: Calibration | None = None

    def _build_matrices(
        self,
        doc_feats: list[frozenset[str]],
        entry_counts: list[dict[str, int]],
        answer_feats: list[frozenset[str]],
    ) -> None:
        """Sparse matrices of phrasings and entries over the feature space."""
        idx, w, width = self.features, self.weights, len(self.features)
        plain, factored = [], []
        for e, feats in zip(self.doc_entry, doc_feats, strict=True):
            counts, answer = entry_counts[e], answer_feats[e]
            plain.append({idx[f]: w(f) for f in feats})
            factored.append(
                {
                    idx[f]: w(f) * (1.0 if counts[f] >= 2 or f in answer else INCIDENTAL)
                    for f in feats
                }
            )
        self.doc_rows = Columns.transposed(plain, width)  # a phrasing's features: column doc
        self.doc_factored = Columns.of(factored, width)
        self.doc_weight = np.asarray([sum(row.values()) for row in factored], np.float64)
        counts = [{idx[f]: n for f, n in c.items()} for c in entry_counts]
        answers = [{idx[f]: w(f) for f in a if f in idx} for a in answer_feats]
        # an entry's title is its last indexed text (see __init__)
        titles = [plain[d] for d in np.flatnonzero(np.diff(self.doc_entry, append=-1))]
        idf = np.asarray([w(f) for f in idx], np.float64)  # idx is ordered by column
        self.vectors = EntryVectors(counts, answers, titles, idf, width)

    def query(self, *pieces: str) -> Query:
        """Analyse a question once for every score below. A question given in pieces (a story,
        then the question) is analysed piece by piece, so a story shared by several questions
        of one message is read once; no lexicon phrase spans two pieces."""
        toks = [t for piece in pieces for t in self.analyzer.analyze(piece)]
        feats = self.terms.features(toks)
        total = 0.0
        known: list[tuple[int, float]] = []
        for f in set(feats):
            weight = self.weights(f)
            total += weight
            column = self.features.get(f)
            if column is not None:
                known.append((column, weight))
        known.sort()
        cols = np.fromiter((c for c, _ in known), np.int64, len(known))
        weights = np.fromiter((w for _, w in known), np.float32, len(known))
        accented = frozenset().union(*map(_accented, pieces))
        return Query(" ".join(pieces), tuple(toks), tuple(feats), total, accented, cols, weights)

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
        q = self.query(text)
        toks = list(q.tokens)
        in_domain = self.in_domain(toks)
        cands = self.rank(q, exclude)
        if not cands:
            return SearchResult(tuple(toks), (), 0.0, False, in_domain)
        conf_values = self.confidence_features(toks, cands, in_domain)
        confidence = cal.confidence(conf_values)
        matches = tuple(
            Match(self.entries[c.entry], c.score, self.doc_joined[c.doc]) for c in cands[:limit]
        )
        return SearchResult(
            tuple(toks), matches, confidence, confidence >= cal.threshold, in_domain, conf_values
        )

    def in_domain(self, toks: list[str]) -> bool:
        """The question names something of the domain (cooperatives, their bodies, laws)."""
        return any(
            tuple(toks[i : i + n]) in self.domain_terms
            for n in self.domain_sizes
            for i in range(len(toks) - n + 1)
        )

    def candidates(self, text: str, toks: list[str], exclude: int | None = None) -> list[Candidate]:
        """Entries ranked by the calibrated linear score over their best phrasing."""
        return self.rank(self.query(text), exclude)

    def rank(self, q: Query, exclude: int | None = None) -> list[Candidate]:
        """Entries ranked by the calibrated linear score over their best phrasing."""
        if not q.total or not len(q.cols):
            return []
        cov_p = self.doc_factored.dot(q.cols) / np.maximum(self.doc_weight, 1e-9)
        cov_e = self.entry_cover(q, exclude)[self.doc_entry]
        w = self.calibration.rank_weights
        partial = w[0] * cov_p + w[2] * cov_e
        if exclude is not None:
            partial[exclude] = -1.0
        k = min(CANDIDATES, len(partial))
        top = np.argpartition(-partial, k - 1)[:k]
        top = top[partial[top] > 0]
        # the candidates' coverage of the question and fuzzy ratios re-score them
        asked = np.zeros(self.doc_rows.n_rows)
        asked[q.cols] = 1.0
        cov_q = self.doc_rows.column_dots(top, asked) / q.total
        joined, rows = " ".join(q.tokens), top.tolist()
        docs = [self.doc_joined[i] for i in rows]
        sort_ratio = _fuzz(fuzz.token_sort_ratio, joined, docs, bool(w[3]))
        set_ratio = _fuzz(fuzz.token_set_ratio, joined, docs, bool(w[4]))
        table = np.column_stack((cov_p[top], cov_q, cov_e[top], sort_ratio, set_ratio))
        scores = table @ np.asarray(w, np.float64)
        if q.accented:
            shared = [len(q.accented & self.doc_accented[i]) for i in rows]
            scores += ACCENT_BONUS * np.asarray(shared, np.float64) / len(q.accented)
        best: dict[int, Candidate] = {}
        values = table.tolist()
        for row, (doc, entry, score) in enumerate(
            zip(rows, self.doc_entry[top].tolist(), scores.tolist(), strict=True)
        ):
            current = best.get(entry)
            if current is None or score > current.score:
                best[entry] = Candidate(entry, doc, tuple(values[row]), score)
        return sorted(best.values(), key=lambda c: (-c.score, self.entries[c.entry].id))

    def overlap(self, q: Query) -> Overlap:
        """Coverage and cosines of every entry; a message ranks and reads the same texts
        several times, so the last few are remembered."""
        return self._overlaps.recall(q.tokens, lambda _: self.vectors.overlap(q))

    def entry_cover(self, q: Query, exclude: int | None = None) -> np.ndarray:
        """Share of the question's weight found in any phrasing of each entry."""
        cover = self.overlap(q).cover
        if exclude is not None:  # words only the hidden phrasing gave its entry do not count
            entry = int(self.doc_entry[exclude])
            docs = np.flatnonzero(self.doc_entry == entry)
            used = np.concatenate([self.doc_rows.having(int(d)) for d in docs])
            found, counts = np.unique(used, return_counts=True)
            hidden = np.intersect1d(
                np.intersect1d(self.doc_rows.having(exclude), found[counts == 1]), q.cols
            )
            cover = cover.copy()
            cover[entry] -= float(q.weights[np.isin(q.cols, hidden)].sum()) / q.total
        return cover

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

    def doc_text(self, doc: int) -> str:
        """The original text of an indexed phrasing."""
        return self.doc_texts[doc]

    @property
    def docs(self) -> range:
        """Indexes of every indexed phrasing (leave-one-out loops)."""
        return range(len(self.doc_texts))


@lru_cache(maxsize=64)  # reuse is within a message (its story)
def _accented(text: str) -> frozenset[str]:
    """The words of a text typed with accents (none when it has no diacritics at all)."""
    return frozenset(tokens(text)) if has_diacritics(text) else frozenset()


def _fuzz(scorer: Callable[..., float], text: str, docs: list[str], wanted: bool) -> np.ndarray:
    """A rapidfuzz ratio of ``text`` against each doc, on a 0–1 scale (zeros when unweighted)."""
    if not wanted or not docs:
        return np.zeros(len(docs))
    ratios = process.cdist([text], docs, scorer=scorer, dtype=np.float64)[0]
    return np.asarray(ratios, np.float64) / 100
