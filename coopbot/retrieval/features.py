"""Query analysis for retrieval: lexicon tokens, typo repair, uni- and bigram features."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from coopbot.text.lexicon import Lexicon
from coopbot.text.memo import Memo

# Vietnamese syllables are short and most 4-letter strings are real words ("trời" is not a typo
# of "rời"), so only longer unknown tokens are repaired.
TYPO_MIN_LEN = 5
ANALYZED_CACHE = 64  # texts whose analysis is remembered (reuse is within a message)
REPAIR_CACHE = 50_000  # unknown words and their repairs (typos recur across messages)


def features(tokens: list[str]) -> list[str]:
    """Unigrams plus adjacent bigrams (``a_b``): bigrams of syllables approximate words."""
    return tokens + [f"{a}_{b}" for a, b in itertools.pairwise(tokens)]


@dataclass(frozen=True)
class Terms:
    """Multi-syllable domain terms read as one feature ("T:to_hop_tac"): inside a term, the
    bigrams of its syllables are not features, so "tổ hợp tác" and "hợp tác xã" share no
    "hợp_tác". Variants of one term ("vốn góp", "góp vốn") give the same feature."""

    table: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    # the lengths of the terms each word starts, longest first
    sizes: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, terms: Iterable[Sequence[str]], lexicon: Lexicon) -> Terms:
        """Each term's variants analysed like any text, so they match what people type."""
        table: dict[tuple[str, ...], str] = {}
        for variants in terms:
            name = "T:" + "_".join(lexicon.analyze(variants[0]))
            for variant in variants:
                key = tuple(lexicon.analyze(variant))
                if len(key) >= 1 and name != "T:":
                    table.setdefault(key, name)
        sizes: dict[str, set[int]] = {}
        for key in table:
            sizes.setdefault(key[0], set()).add(len(key))
        return cls(table, {w: tuple(sorted(n, reverse=True)) for w, n in sizes.items()})

    def features(self, tokens: list[str]) -> list[str]:
        """Unigrams, bigrams outside terms, and one feature per term found (longest first)."""
        inside: set[int] = set()  # bigram positions i (tokens[i], tokens[i+1]) within a term
        found: list[str] = []
        i = 0
        while i < len(tokens):
            for size in self.sizes.get(tokens[i], ()):
                name = (
                    self.table.get(tuple(tokens[i : i + size])) if i + size <= len(tokens) else None
                )
                if name is not None:
                    found.append(name)
                    inside.update(range(i, i + size - 1))
                    i += size
                    break
            else:
                i += 1
        pairs = enumerate(itertools.pairwise(tokens))
        bigrams = [f"{a}_{b}" for n, (a, b) in pairs if n not in inside]
        return [*tokens, *bigrams, *found]


@dataclass(frozen=True)
class Weights:
    """Inverse document frequencies over entries; unknown features weigh the most."""

    idf: Mapping[str, float]
    unknown: float

    @classmethod
    def build(cls, entry_features: Iterable[set[str]]) -> Weights:
        """IDF with entries (not phrasings) as documents, so entries count equally."""
        df: Counter[str] = Counter()
        n = 0
        for feats in entry_features:
            n += 1
            df.update(feats)
        idf = {f: math.log(1 + (n - c + 0.5) / (c + 0.5)) for f, c in df.items()}
        return cls(idf, math.log(1 + (n + 0.5) / 0.5))

    def __call__(self, feature: str) -> float:
        """Weight of one feature."""
        return self.idf.get(feature, self.unknown)

    def total(self, feats: Iterable[str]) -> float:
        """Sum of weights."""
        return sum(self(f) for f in feats)


class Analyzer:
    """Turns text into retrieval tokens; repairs typos against the knowledge vocabulary."""

    def __init__(self, lexicon: Lexicon, vocabulary: Iterable[str]) -> None:
        self.lexicon = lexicon
        self.vocabulary = frozenset(vocabulary)
        self._long_words = sorted(w for w in self.vocabulary if len(w) >= TYPO_MIN_LEN - 1)
        self._repairs: Memo[str, list[str] | None] = Memo(REPAIR_CACHE)
        self._analysed: Memo[str, tuple[str, ...]] = Memo(ANALYZED_CACHE)

    def analyze(self, text: str) -> list[str]:
        """Folded, lexicon-expanded, typo-repaired tokens without stopwords; the last texts
        are remembered (a message's story is read for each of its questions)."""
        return list(self._analysed.recall(text, self._analyze))

    def _analyze(self, text: str) -> tuple[str, ...]:
        """The analysis itself."""
        out = []
        for tok in self.lexicon.analyze(text):
            out.extend([tok] if tok in self.vocabulary else (self.repair(tok) or [tok]))
        return tuple(out)

    def repair(self, token: str) -> list[str] | None:
        """Known words for an unknown token: two run-together words, or one within one edit."""
        if len(token) < TYPO_MIN_LEN or token.isdigit():
            return None
        return self._repairs.recall(token, lambda t: self._split(t) or self._nearest(t))

    def _split(self, token: str) -> list[str] | None:
        """``gopvon`` → ``gop von``: the split with the longest shorter half, both halves known."""
        known: list[tuple[str, str]] = [
            (token[:i], token[i:])
            for i in range(2, len(token) - 1)
            if token[:i] in self.vocabulary and token[i:] in self.vocabulary
        ]
        if not known:
            return None
        head, tail = max(known, key=lambda pair: min(len(pair[0]), len(pair[1])))
        return [head, tail]

    def _nearest(self, token: str) -> list[str] | None:
        """The closest known word within one edit (a transposition counts as one)."""
        hit = process.extractOne(
            token, self._long_words, scorer=DamerauLevenshtein.distance, score_cutoff=1
        )
        return [str(hit[0])] if hit else None


def contains_sequence(haystack: list[str], needle: list[str]) -> bool:
    """True when ``needle`` occurs as a contiguous run in ``haystack``."""
    n = len(needle)
    if not n:
        return False
    i = -1
    try:
        while True:  # only where the first word is (list.index scans in C)
            i = haystack.index(needle[0], i + 1)
            if haystack[i : i + n] == needle:
                return True
    except ValueError:
        return False
