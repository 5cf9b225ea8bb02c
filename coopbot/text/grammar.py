"""The phrase lists of knowledge/understanding.yaml as matchers: phrases of whole words that
respect accents where typed, the organisation types and aspects they name, and the grammar
built from the file (validated by the loader).

Written by hand: Vietnamese NLP libraries (underthesea, pyvi) segment words but know nothing of
letters to a law column, and fail on unaccented text, which is a third of what farmers send.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from coopbot.text.memo import Memo
from coopbot.text.normalize import fold, normalize, tokens

WORDS_CACHE = 64  # texts whose words are remembered (reuse is within a message)

Token = tuple[str, str]  # (as typed, lower-cased, with its accents; accent-folded)


def token(word: str) -> Token:
    """A word as typed and folded."""
    return word, fold(word)


def _same(typed: Token, phrase: Token) -> bool:
    """Accents count only when both are written with them: "may" matches "mấy", "mây" not."""
    return typed[1] == phrase[1] and (
        typed[0] == typed[1] or phrase[0] == phrase[1] or typed[0] == phrase[0]
    )


@dataclass(frozen=True)
class PhraseSet:
    """Phrases as token tuples, matched on whole words, respecting accents where typed."""

    phrases: tuple[tuple[Token, ...], ...] = ()
    by_first: Mapping[str, tuple[tuple[Token, ...], ...]] = field(default_factory=dict)
    lengths: tuple[int, ...] = ()  # the distinct phrase lengths

    @classmethod
    def of(cls, items: Iterable[str]) -> PhraseSet:
        """Tokenise; longest first, so the longest match wins; indexed by first folded word."""
        found = {tuple(token(t) for t in tokens(p)) for p in items}
        phrases = tuple(sorted((p for p in found if p), key=lambda p: (-len(p), p)))
        index: dict[str, list[tuple[Token, ...]]] = {}
        for p in phrases:
            index.setdefault(p[0][1], []).append(p)
        lengths = tuple(sorted({len(p) for p in phrases}))
        return cls(phrases, {k: tuple(v) for k, v in index.items()}, lengths)

    def at(self, words: Sequence[Token], i: int) -> int:
        """Length of the longest phrase starting at ``words[i]`` (0: none)."""
        if i < 0 or i >= len(words):
            return 0
        for p in self.by_first.get(words[i][1], ()):
            span = words[i : i + len(p)]
            if len(span) == len(p) and all(map(_same, span, p)):
                return len(p)
        return 0

    def find(self, words: Sequence[Token]) -> bool:
        """True when any phrase occurs in ``words``."""
        starts = self.by_first
        return any(self.at(words, i) for i, w in enumerate(words) if w[1] in starts)

    def ends(self, words: Sequence[Token]) -> bool:
        """True when ``words`` end with a phrase."""
        # a phrase of length n ends the words when the longest match at len - n is n long
        return any(self.at(words, len(words) - n) == n for n in self.lengths)


@dataclass(frozen=True)
class Premise:
    """A rule of the repealed law a writer may take for current, and its correction."""

    id: str
    numbers: frozenset[str]
    near: PhraseSet
    cues: PhraseSet
    correction: str  # a message key
    sources: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Grammar:
    """The phrase lists of knowledge/understanding.yaml, ready to match."""

    openings: PhraseSet = field(default_factory=PhraseSet)
    asks: PhraseSet = field(default_factory=PhraseSet)
    closings: PhraseSet = field(default_factory=PhraseSet)
    self_intro: PhraseSet = field(default_factory=PhraseSet)
    anywhere: PhraseSet = field(default_factory=PhraseSet)
    ending: PhraseSet = field(default_factory=PhraseSet)
    yes_no: PhraseSet = field(default_factory=PhraseSet)  # endings that ask even without "?"
    joins: PhraseSet = field(default_factory=PhraseSet)
    reads: PhraseSet = field(default_factory=PhraseSet)  # asks for an article's text
    alternatives: PhraseSet = field(default_factory=PhraseSet)
    types: Mapping[str, PhraseSet] = field(default_factory=dict)
    aspects: Mapping[str, PhraseSet] = field(default_factory=dict)
    numbers: Mapping[str, int] = field(default_factory=dict)
    people: PhraseSet = field(default_factory=PhraseSet)
    organisations: PhraseSet = field(default_factory=PhraseSet)
    self_words: frozenset[str] = frozenset()
    together: frozenset[str] = frozenset()
    premises: tuple[Premise, ...] = ()
    count_rules: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    shorthand: Mapping[str, tuple[Token, ...]] = field(default_factory=dict)
    terms: tuple[tuple[str, ...], ...] = ()  # domain terms, each: its ways of writing it
    type_variants: tuple[tuple[str, ...], ...] = ()  # entry ids answering one question per type
    _read: Memo[str, tuple[Token, ...]] = field(
        default_factory=lambda: Memo(WORDS_CACHE), compare=False, hash=False, repr=False
    )

    def words(self, text: str) -> list[Token]:
        """Word tokens with shorthand spelled out ("ko" → "không"). Pure in the text, so the
        last texts are remembered: a message's parts are read by several steps."""
        return list(self._read.recall(text, self._words))

    def _words(self, text: str) -> tuple[Token, ...]:
        """The words themselves."""
        out: list[Token] = []
        for t in tokens(text):
            word = token(t)
            out.extend(self.shorthand.get(word[0], (word,)))
        return tuple(out)


def kinds(words: Sequence[Token], sets: Mapping[str, PhraseSet]) -> frozenset[str]:
    """Names of the phrase sets found in ``words`` (types: longest match consumes its words)."""
    found: set[str] = set()
    i = 0
    while i < len(words):
        best, name = 0, ""
        first = words[i][1]
        for key, phrases in sets.items():
            size = phrases.at(words, i) if first in phrases.by_first else 0
            if size > best:
                best, name = size, key
        if best:
            found.add(name)
            i += best
        else:
            i += 1
    return frozenset(found)


def aspects(words: Sequence[Token], g: Grammar) -> frozenset[str]:
    """Every aspect whose cue occurs."""
    return frozenset(name for name, cues in g.aspects.items() if cues.find(words))


def grammar(data: Mapping[str, object]) -> Grammar:
    """Build from the parsed knowledge/understanding.yaml (validated by the loader)."""

    def section(name: str) -> Mapping[str, object]:
        value = data.get(name) or {}
        return value if isinstance(value, Mapping) else {}

    def phrases(values: object) -> PhraseSet:
        return PhraseSet.of(str(v) for v in values) if isinstance(values, list) else PhraseSet()

    wrapping, questions, counting = section("wrapping"), section("questions"), section("counting")
    numbers = counting.get("numbers") or {}
    premises = []
    for item in data.get("premises") or []:  # type: ignore[attr-defined]
        premises.append(
            Premise(
                str(item["id"]),
                frozenset(fold(str(n)) for n in item.get("numbers", [])),
                phrases(item.get("near")),
                phrases(item.get("cues")),
                str(item["correction"]),
                tuple((str(s["doc"]), str(s.get("article", ""))) for s in item.get("sources", [])),
            )
        )
    return Grammar(
        openings=phrases(wrapping.get("openings")),
        asks=phrases(wrapping.get("asks")),
        closings=phrases(wrapping.get("closings")),
        self_intro=phrases(wrapping.get("self_intro")),
        anywhere=phrases(questions.get("anywhere")),
        ending=phrases(questions.get("ending")),
        yes_no=phrases(questions.get("yes_no")),
        joins=phrases(questions.get("joins")),
        reads=phrases(questions.get("reads")),
        alternatives=phrases(questions.get("alternatives")),
        types={str(k): phrases(v) for k, v in section("types").items()},
        aspects={str(k): phrases(v) for k, v in section("aspects").items()},
        numbers={fold(str(k)): int(v) for k, v in dict(numbers).items()},  # type: ignore[call-overload]
        people=phrases(counting.get("people")),
        organisations=phrases(counting.get("organisations")),
        self_words=frozenset(fold(str(w)) for w in counting.get("self") or []),  # type: ignore[attr-defined]
        together=frozenset(fold(str(w)) for w in counting.get("together") or []),  # type: ignore[attr-defined]
        premises=tuple(premises),
        count_rules={str(k): dict(v) for k, v in section("count_rules").items()},  # type: ignore[call-overload]
        shorthand={
            normalize(str(k)): tuple(token(t) for t in tokens(str(v)))
            for k, v in section("shorthand").items()
        },
        terms=tuple(
            tuple(str(v) for v in (item if isinstance(item, list) else [item]))
            for item in data.get("terms") or []  # type: ignore[attr-defined]
        ),
        type_variants=tuple(
            tuple(str(v) for v in group)
            for group in data.get("type_variants") or []  # type: ignore[attr-defined]
        ),
    )
