"""Answer selection for whole messages: understand the message, rank entries for each part it
asks with a learned linear ranker over several signals, and say how sure we are of each part.

Signals of an entry for a part: the phrasing ranker on the part alone, on the part with its
story, and on the whole question; the TF-IDF similarity of the whole entry to the part and to
the part with its story; whether the organisation type agrees or clashes (a question about a
tổ hợp tác is not answered with an HTX entry); whether the aspects agree (how many, who, where,
how long, fee, documents, condition, procedure, yes/no); how much of the entry's title the part
covers. Weights and the confidence model are fit by ``bench/calibrate.py`` on calibration data.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from coopbot.knowledge.model import FaqEntry
from coopbot.retrieval.index import Candidate, Query, RankKey, Retriever
from coopbot.text.grammar import Grammar, aspects, kinds
from coopbot.text.understand import Part, Understanding, understand

SELECT_FEATURES = (
    "part",
    "context",
    "whole",
    "sim_part",
    "sim_context",
    "type_match",
    "type_clash",
    "aspect",
    "title",
    "answer",
    "rarest",
    "first",
    "bayes",
)
PART_CONF_FEATURES = (
    "score",
    "margin",
    "part",
    "sim_part",
    "type_match",
    "type_clash",
    "in_domain",
    "oov",
    "length",
    "parts",
    "agree",
    "shared",
)
POOL = 10  # entries taken from each ranked list
SHORT_PART = 4  # analysed words below which a part is searched with its context
EXACT = 0.99  # confidence of a part that is word for word one of its entry's phrasings
SHOWN = 5  # ranked entries kept per part
SELECT_CACHE = 256  # selections kept for repeated messages (about 10 KB each)


@dataclass(frozen=True, slots=True)
class Scored:
    """An entry, its selection score and the signals behind it."""

    entry: FaqEntry
    index: int
    score: float
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class PartChoice:
    """The ranked entries for one part, and how sure the best one is right."""

    part: Part
    ranked: tuple[Scored, ...]
    confidence: float
    confident: bool
    conf_values: tuple[float, ...] = ()
    variants: tuple[FaqEntry, ...] = ()  # ask which organisation type is meant, between these

    @property
    def best(self) -> Scored | None:
        """The top entry, if any."""
        return self.ranked[0] if self.ranked else None


@dataclass(frozen=True, slots=True)
class Selection:
    """Everything the answer is composed from."""

    understanding: Understanding
    parts: tuple[PartChoice, ...]
    in_domain: bool
    analysed: tuple[str, ...]

    @property
    def confident(self) -> tuple[PartChoice, ...]:
        """Parts answered with confidence."""
        return tuple(p for p in self.parts if p.confident and p.best is not None)


class Selector:
    """Ranks entries per part of a message; built once per knowledge base with its retriever."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        kb = retriever.kb
        self.grammar = kb.grammar
        self.entry_types = [self._types(e) for e in retriever.entries]
        self.entry_aspects = [self._aspects(e) for e in retriever.entries]
        self.groups = {i: group for group in self.grammar.type_variants for i in group}
        self._cached = lru_cache(maxsize=SELECT_CACHE)(self._select)

    def _types(self, entry: FaqEntry) -> frozenset[str]:
        """The organisation types an entry's title names (empty: about cooperatives at large);
        a liên hiệp entry names HTX as its members, not as its subject."""
        found = kinds(self.grammar.words(entry.title), self.grammar.types)
        return found - {"htx"} if "lhhtx" in found else found

    def _aspects(self, entry: FaqEntry) -> frozenset[str]:
        """Aspects named by the title or by at least two phrasings."""
        g = self.grammar
        counted: dict[str, int] = {}
        for text in entry.questions:
            for a in aspects(g.words(text), g):
                counted[a] = counted.get(a, 0) + 1
        named = aspects(g.words(entry.title), g)
        return frozenset(named | {a for a, n in counted.items() if n >= 2})

    def select(self, text: str, exclude: int | None = None) -> Selection:
        """Understand ``text`` and rank entries for each of its parts. A selection is pure in
        the text, so repeated questions come from a bounded cache (farmers ask alike)."""
        if exclude is not None:
            return self._select(text, exclude)
        return self._cached(text)

    def _select(self, text: str, exclude: int | None = None) -> Selection:
        """The selection, computed."""
        u = understand(text, self.grammar)
        whole = self.whole(u)
        in_domain = self.retriever.in_domain(list(whole.tokens))
        if not in_domain and len(u.parts) > 1:  # "HTX em … Được không? Bao lâu?": the domain is
            # named only in the story, which one part's query (its context) already holds
            in_domain = self.retriever.in_domain(self.retriever.analyzer.analyze(u.story))
        memo: dict[RankKey, list[Candidate]] = {}
        rankings = [self.rank(part, u, whole, exclude, memo) for part in u.parts]
        tops = Counter(r[0].index for r in rankings if r)
        choices = tuple(
            self.choose(
                part, ranked, u, whole, in_domain, tops[ranked[0].index] - 1 if ranked else 0
            )
            for part, ranked in zip(u.parts, rankings, strict=True)
        )
        return Selection(u, choices, in_domain, whole.tokens)

    def whole(self, u: Understanding) -> Query:
        """The whole message as one query: its questions, or its one part with its story."""
        if len(u.parts) > 1:  # its questions, each analysed once for its own search already
            return self.retriever.query(*(p.text for p in u.parts))
        return self.retriever.query(*u.parts[0].pieces)

    def choose(
        self,
        part: Part,
        ranked: tuple[Scored, ...],
        u: Understanding,
        whole: Query,
        in_domain: bool,
        shared: int = 0,
    ) -> PartChoice:
        """Calibrated confidence in the best of a part's ranked entries; ``shared``: how many
        other parts of the message ranked the same entry first (a question asked in several
        clauses is more surely understood)."""
        if not ranked:
            return PartChoice(part, (), 0.0, False)
        values = self.conf_values(part, ranked, u, whole, in_domain, shared)
        cal = self.retriever.calibration
        confidence = cal.part_confidence(values)
        if self.exact(part, ranked[0]):  # one of its own phrasings, word for word
            confidence = max(confidence, EXACT)
        variants = self.variants(part, u, ranked)
        confident = confidence >= cal.part_threshold and not variants
        return PartChoice(part, ranked, confidence, confident, values, variants)

    def exact(self, part: Part, top: Scored) -> bool:
        """The part is, after normalisation, one of the top entry's phrasings (staff attached
        it, or the knowledge base has it as is)."""
        r = self.retriever
        joined = " ".join(r.analyzer.analyze(part.text))
        docs = np.flatnonzero(r.doc_entry == top.index)
        return bool(joined) and any(r.doc_joined[d] == joined for d in docs)

    def variants(
        self, part: Part, u: Understanding, ranked: Sequence[Scored]
    ) -> tuple[FaqEntry, ...]:
        """The type variants to ask between: the message names no organisation type and the
        best entries answer one question for different types."""
        if u.types or not ranked:
            return ()
        group = self.groups.get(ranked[0].entry.id)
        if group is None or not any(s.entry.id in group for s in ranked[1:3]):
            return ()
        by_id = self.retriever.kb.by_id
        return tuple(by_id[i] for i in group if i in by_id)

    def signals(
        self,
        part: Part,
        u: Understanding,
        whole: Query,
        exclude: int | None = None,
        memo: dict[RankKey, list[Candidate]] | None = None,
    ) -> dict[int, tuple[float, ...]]:
        """The selection features of every candidate entry for one part; ``memo`` keeps the
        rankings of texts already ranked for this message (the whole, a shared context)."""
        r = self.retriever
        qp = r.query(part.text)
        qc = r.query(*part.pieces) if part.pieces != (part.text,) else qp
        if len(qp.tokens) < SHORT_PART:  # "và gửi đi đâu?": the part means nothing alone
            qp = qc
        ranked: dict[RankKey, list[Candidate]] = {} if memo is None else memo
        for q in (qp, qc, whole):  # the same text is ranked once
            if q.key not in ranked:
                ranked[q.key] = r.rank(q, exclude)
        lists = [ranked[q.key] for q in (qp, qc, whole)]
        scores = [{c.entry: c.score for c in ranked} for ranked in lists]
        part_overlap, context_overlap = r.overlap(qp), r.overlap(qc)
        sim_p, sim_c, answer = (
            part_overlap.similarity,
            context_overlap.similarity,
            part_overlap.answer,
        )
        rarest, fit = r.vectors.rarest(qp), r.vectors.fit(qp)
        bayes = fit.bayes - fit.bayes.max()
        firsts = {ranked[0].entry for ranked in lists if ranked}
        firsts.add(int(np.argmax(sim_p)))
        pool = {c.entry for ranked in lists for c in ranked[:POOL]}
        pool |= {int(i) for i in np.argsort(-sim_p)[:POOL] if sim_p[i] > 0}
        wanted = primary(part.text, self.grammar) or primary(u.question, self.grammar)
        title_cover = fit.title
        out: dict[int, tuple[float, ...]] = {}
        for e in pool:
            types = self.entry_types[e]
            aspect = _jaccard(part.aspects, self.entry_aspects[e])
            out[e] = (
                scores[0].get(e, 0.0),
                scores[1].get(e, 0.0),
                scores[2].get(e, 0.0),
                float(sim_p[e]),
                float(sim_c[e]),
                float(bool(types & wanted)),
                float(bool(types and wanted and not types & wanted)),
                aspect,
                float(title_cover[e]),
                float(answer[e]),
                float(rarest[e]),
                float(e in firsts),
                float(bayes[e]),
            )
        return out

    def rank(
        self,
        part: Part,
        u: Understanding,
        whole: Query,
        exclude: int | None = None,
        memo: dict[RankKey, list[Candidate]] | None = None,
    ) -> tuple[Scored, ...]:
        """Candidates by the learned linear score, best first."""
        cal = self.retriever.calibration
        entries = self.retriever.entries
        signals = self.signals(part, u, whole, exclude, memo)
        if not signals:
            return ()
        table = gapped(np.asarray(list(signals.values()), np.float64))
        scores = table @ np.asarray(cal.select_weights, np.float64) + cal.select_bias
        scored = [
            Scored(entries[e], e, score, tuple(row))
            for e, score, row in zip(signals, scores.tolist(), table.tolist(), strict=True)
        ]
        scored.sort(key=lambda s: (-s.score, s.entry.id))
        return tuple(scored[:SHOWN])

    def conf_values(
        self,
        part: Part,
        ranked: Sequence[Scored],
        u: Understanding,
        whole: Query,
        in_domain: bool,
        shared: int = 0,
    ) -> tuple[float, ...]:
        """Inputs of the part confidence model (PART_CONF_FEATURES)."""
        top = ranked[0]
        second = ranked[1].score if len(ranked) > 1 else 0.0
        words = self.retriever.analyzer.analyze(part.text)
        known = self.retriever.analyzer.vocabulary
        weights = self.retriever.weights
        total = weights.total(set(words)) or 1.0
        oov = weights.total(t for t in set(words) if t not in known) / total
        return (
            top.score,
            top.score - second,
            top.values[0],
            top.values[3],
            top.values[5],
            top.values[6],
            float(in_domain),
            oov,
            math.log1p(len(words)),
            float(len(u.parts)),
            top.values[11]
            + float(top.values[0] > 0 and top.values[0] >= max(s.values[0] for s in ranked)),
            float(shared),
        )


def with_gaps(signals: dict[int, tuple[float, ...]]) -> dict[int, tuple[float, ...]]:
    """Each candidate's signals followed by how far each is below the best candidate's: the
    ranker judges an entry against its rivals, not only on its own."""
    if not signals:
        return signals
    table = gapped(np.asarray(list(signals.values()), np.float64))
    return {e: tuple(row) for e, row in zip(signals, table.tolist(), strict=True)}


def gapped(table: np.ndarray) -> np.ndarray:
    """Rows of signals, each followed by its gaps to the column-wise best (see with_gaps)."""
    return np.hstack((table, table - table.max(axis=0)))


def primary(text: str, grammar: Grammar) -> frozenset[str]:
    """The organisation type a text is about: the first it names ("tổ hợp tác … như htx" is
    about a tổ hợp tác)."""
    words = grammar.words(text)
    for i in range(len(words)):
        for name, phrases in grammar.types.items():
            if phrases.at(words, i):
                return frozenset({name})
    return frozenset()


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap of two sets (0 when both are empty)."""
    return len(a & b) / len(a | b) if a or b else 0.0
