"""Lexicon: abbreviations, teencode and synonyms from knowledge/lexicon.yaml, applied to tokens."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from coopbot.text.memo import Memo
from coopbot.text.normalize import fold, has_diacritics, normalize, tokens

Rules = Mapping[tuple[str, ...], tuple[str, ...]]
ANALYZE_CACHE = 16_384  # analysed texts kept: every phrasing, answer and law clause, and queries


def _phrases(words: Iterable[str]) -> frozenset[str]:
    """Phrases folded and tokenised, joined by single spaces."""
    return frozenset(" ".join(fold(t) for t in tokens(w)) for w in words) - {""}


@dataclass(frozen=True)
class AnswerWords:
    """Short replies inside a questionnaire (``answers`` in lexicon.yaml): yes, no, zero, skip,
    and requests for the list of questionnaires; matched on the whole message, accent-folded,
    after dropping particles ("có ạ") and one leading polite word ("dạ không")."""

    particles: frozenset[str] = frozenset()
    polite: frozenset[str] = frozenset()
    yes: frozenset[str] = frozenset()
    no: frozenset[str] = frozenset()
    zero: frozenset[str] = frozenset()
    skip: frozenset[str] = frozenset()
    menu: frozenset[str] = frozenset()

    @classmethod
    def from_lists(cls, lists: Mapping[str, Iterable[str]]) -> AnswerWords:
        """Build from the YAML lists by name."""
        return cls(**{name: _phrases(words) for name, words in lists.items()})

    def keys(self, text: str) -> list[str]:
        """The message as phrases to look up: without particles, then without a polite word."""
        words = [fold(t) for t in tokens(text)]
        words = [w for w in words if w not in self.particles] or words
        out = [" ".join(words)]
        if len(words) > 1 and words[0] in self.polite:
            out.append(" ".join(words[1:]))
        return out

    def means(self, kind: str, text: str) -> bool:
        """Whether the message is one of the ``kind`` phrases (yes, no, zero, skip, menu)."""
        phrases: frozenset[str] = getattr(self, kind)
        return any(k in phrases for k in self.keys(text))

    def yes_no(self, text: str) -> bool | None:
        """True for yes, False for no, None for anything else."""
        if self.means("yes", text):
            return True
        return False if self.means("no", text) else None


def _chained(rules: Rules, exact: Rules) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Each replacement followed through the rules it is itself a key of: a typo key
    ("thanh lâp" → "thành lập") ends where the synonym of its correction ends ("lập"), so the
    typed, unaccented and correct forms analyse alike."""
    out = {}
    for key, target in rules.items():
        seen = {key}
        while target in exact and target not in seen:
            seen.add(target)
            target = exact[target]
        out[key] = target
    return out


@dataclass(frozen=True)
class Lexicon:
    """Rewrites token sequences and drops filler words, respecting accents where typed.

    A key written with accents ("dẹp") matches those accents, or the same letters typed with no
    accents at all ("dep"), but not other accents ("đẹp"). A key written without accents ("dk")
    matches any accented variant ("đk"). Stopwords are matched exactly as written: "bạn" drops
    "bạn" but not "ban" (as in "ban kiểm soát").
    """

    exact: Rules = field(default_factory=dict)
    folded: Rules = field(default_factory=dict)
    plain: Rules = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    max_len: int = 1
    starts: frozenset[str] = frozenset()  # folded first words of every key (fast skip)
    answers: AnswerWords = field(default_factory=AnswerWords)
    _analysed: Memo[str, tuple[str, ...]] = field(
        default_factory=lambda: Memo(ANALYZE_CACHE), compare=False, hash=False, repr=False
    )

    @classmethod
    def from_mapping(
        cls,
        replacements: Mapping[str, str],
        stopwords: Iterable[str] = (),
        answers: Mapping[str, Iterable[str]] | None = None,
    ) -> Lexicon:
        """Build from ``{"htx": "hợp tác xã", ...}``; replacement values keep their accents."""
        exact: dict[tuple[str, ...], tuple[str, ...]] = {}
        folded: dict[tuple[str, ...], tuple[str, ...]] = {}
        plain: dict[tuple[str, ...], tuple[str, ...]] = {}
        for key, value in replacements.items():
            src = tuple(tokens(key))
            if not src:
                continue
            target = tuple(tokens(value))
            exact[src] = target
            folded.setdefault(tuple(fold(t) for t in src), target)
            if not has_diacritics(key):
                plain[src] = target
        exact, folded, plain = (_chained(rules, exact) for rules in (exact, folded, plain))
        longest = max((len(k) for k in exact), default=1)
        starts = frozenset(k[0] for k in folded)
        stops = frozenset(normalize(s) for s in stopwords)
        words = AnswerWords.from_lists(answers or {})
        return cls(exact, folded, plain, stops, longest, starts, words)

    def expand(self, words: list[str]) -> list[str]:
        """Replace every lexicon key found in the words, longest match first."""
        flat = [fold(w) for w in words]
        accented = [f != w for f, w in zip(flat, words, strict=True)]
        out: list[str] = []
        i = 0
        n = len(words)
        while i < n:
            sizes = range(min(self.max_len, n - i), 0, -1) if flat[i] in self.starts else ()
            for size in sizes:
                replacement = self._lookup(words, flat, accented, i, i + size)
                if replacement is not None:
                    out.extend(replacement)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def _lookup(
        self, words: list[str], flat: list[str], accented: list[bool], start: int, end: int
    ) -> tuple[str, ...] | None:
        """The replacement for ``words[start:end]``, if a key matches it."""
        hit = self.exact.get(tuple(words[start:end]))
        if hit is not None:
            return hit
        key = tuple(flat[start:end])
        rules = self.plain if any(accented[start:end]) else self.folded
        return rules.get(key)

    def analyze(self, text: str) -> list[str]:
        """Text → lexicon-expanded, folded tokens with stopwords removed. Pure in the text, so
        remembered: an index rebuilt after staff attach a phrasing re-reads thousands of
        unchanged texts."""
        return list(self._analysed.recall(text, self._analyze))

    def _analyze(self, text: str) -> tuple[str, ...]:
        """The analysis itself; words interned, since every phrasing repeats them."""
        words = self.expand(tokens(text))
        return tuple(sys.intern(fold(w)) for w in words if w not in self.stopwords)
