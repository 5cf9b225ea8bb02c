"""Recognise small talk (greetings, thanks, "ok", "không hiểu", complaints …) from data in
lexicon.yaml ``smalltalk:``.

A message is small talk when, after the lexicon's abbreviations ("ko" → "không", "dc" →
"được") and dropping the filler words (address words and particles), what is left is one known
phrase or a few in a row ("ok cảm ơn ad"). Anything else, a question above all, is not small
talk. When a message mixes intents, the one listed first in the data wins. Accents count as in
the lexicon: a word typed without accents matches any accented form ("cam on" = "cảm ơn"),
a word typed with accents only the same accents ("có" is not "cô", "vậy" is not "vay").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import cache

from coopbot.text.lexicon import Lexicon
from coopbot.text.normalize import fold, tokens

FILLERS = "fillers"  # the data key of the filler words; not an intent
ERASE_REQUEST = "erase_request"  # "xoá dữ liệu của tôi": the erasure confirmation follows
MAX_WORDS = 12  # longer messages are never small talk
MAX_PIECES = 4  # "alo alo ad ơi cảm ơn" is still small talk; a list of phrases is not
_REPEAT = re.compile(r"(\w)\1{2,}")  # "okkk", "alooo", "cảm ơnnn"
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng
_INVISIBLE = re.compile("[\\s\ufe0f\u200d\U0001f3fb-\U0001f3ff]")  # spaces, emoji modifiers

Words = tuple[str, ...]


class SmallTalk:
    """Small-talk intents, checked in the order the data lists them."""

    def __init__(self, intents: Mapping[str, Sequence[str]], lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        fillers = [w for f in intents.get(FILLERS, ()) for w in self._words(f)]
        self._fillers = frozenset(fillers)
        self._plain_fillers = frozenset(fold(w) for w in fillers)
        self.intents = tuple(name for name in intents if name != FILLERS)
        self._rank = {name: i for i, name in enumerate(self.intents)}
        self._phrases: dict[Words, list[tuple[Words, str]]] = {}
        self._symbols: dict[str, str] = {}
        for name in self.intents:
            for phrase in intents[name]:
                self._add(name, phrase)
        self._longest = max((len(p) for p in self._phrases), default=1)

    def _add(self, name: str, phrase: str) -> None:
        """Index one phrase of the data; an emoji phrase indexes each of its symbols."""
        words = self._words(phrase)
        content = self._content(words)
        if content:
            key = tuple(fold(w) for w in content)
            self._phrases.setdefault(key, []).append((content, name))
        elif not words:
            for symbol in _INVISIBLE.sub("", phrase):
                self._symbols.setdefault(symbol, name)

    def intent(self, text: str) -> str | None:
        """The intent name, or None when the message asks something (or is not small talk)."""
        typed = tokens(text)
        if len(typed) > MAX_WORDS * self._lexicon.max_len:  # too long even if all shorthand
            return None
        expanded = self._lexicon.expand(typed)
        if not expanded:
            return self._symbol_intent(text)
        if len(expanded) > MAX_WORDS:
            return None
        words = _spelled(expanded)
        content = self._content(words)
        found = _best_split(content, self._phrase, self._longest) if content else None
        if not found:
            return None
        return min(found, key=self._rank.__getitem__)

    def _words(self, text: str) -> Words:
        """Normalised tokens with abbreviations expanded and letter runs shortened."""
        return _spelled(self._lexicon.expand(tokens(text)))

    def _content(self, words: Words) -> Words:
        """The words that are not fillers (a filler typed without accents matches too)."""
        return tuple(w for w in words if not self._filler(w))

    def _filler(self, word: str) -> bool:
        """An address word or particle."""
        return word in self._fillers or (fold(word) == word and word in self._plain_fillers)

    def _phrase(self, words: Words) -> str | None:
        """The intent of the phrase these words are, if any."""
        for phrase, name in self._phrases.get(tuple(fold(w) for w in words), ()):
            if all(_same(typed, known) for typed, known in zip(words, phrase, strict=True)):
                return name
        return None

    def _symbol_intent(self, text: str) -> str | None:
        """A message of emoji only ("👍", "🙏🙏"): the intent of its symbols, if all are known."""
        chars = _INVISIBLE.sub("", text)
        found = [self._symbols.get(c) for c in chars]
        if not chars or None in found:
            return None
        return min((f for f in found if f), key=self._rank.__getitem__)


def _spelled(words: list[str]) -> Words:
    """Letter runs shortened ("đượccc") and tone marks moved last, word by word."""
    return tuple(_tone_last(_REPEAT.sub(r"\1", w)) for w in words)


def _tone_last(word: str) -> str:
    """The word with its tone mark moved to the end, so that both placements people type
    ("xóa" and "xoá", "hủy" and "huỷ") are one spelling."""
    letters = unicodedata.normalize("NFD", word)
    tones = "".join(c for c in letters if c in _TONES)
    if not tones:
        return word
    return unicodedata.normalize("NFC", "".join(c for c in letters if c not in _TONES) + tones)


def _same(typed: str, known: str) -> bool:
    """Two words with the same letters: equal, or one of them written without accents."""
    return typed == known or fold(typed) == typed or fold(known) == known


def _best_split(
    content: Words, phrase: Callable[[Words], str | None], longest: int
) -> list[str] | None:
    """Split ``content`` into at most MAX_PIECES known phrases (fewest pieces); their intents."""

    @cache
    def rest(i: int) -> tuple[str, ...] | None:
        if i == len(content):
            return ()
        best: tuple[str, ...] | None = None
        for size in range(min(longest, len(content) - i), 0, -1):
            name = phrase(content[i : i + size])
            if name is None:
                continue
            tail = rest(i + size)
            if tail is not None and (best is None or len(tail) + 1 < len(best)):
                best = (name, *tail)
        return best if best is None or len(best) <= MAX_PIECES else None

    found = rest(0)
    return list(found) if found else None
