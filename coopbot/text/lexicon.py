"""Lexicon: abbreviations, teencode and synonyms from knowledge/lexicon.yaml, applied to tokens."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from coopbot.text.normalize import fold, tokens


@dataclass(frozen=True)
class Lexicon:
    """Maps folded token sequences to folded replacement sequences; longest match wins."""

    rules: Mapping[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    max_len: int = 1

    @classmethod
    def from_mapping(
        cls, replacements: Mapping[str, str], stopwords: Iterable[str] = ()
    ) -> Lexicon:
        """Build from ``{"htx": "hợp tác xã", ...}``; keys and values are folded."""
        rules: dict[tuple[str, ...], tuple[str, ...]] = {}
        for key, value in replacements.items():
            src = tuple(fold(t) for t in tokens(key))
            if src:
                rules[src] = tuple(fold(t) for t in tokens(value))
        longest = max((len(k) for k in rules), default=1)
        return cls(rules, frozenset(fold(s) for s in stopwords), longest)

    def expand(self, folded_tokens: list[str]) -> list[str]:
        """Replace every lexicon key found in the token list, longest match first."""
        out: list[str] = []
        i = 0
        n = len(folded_tokens)
        while i < n:
            for size in range(min(self.max_len, n - i), 0, -1):
                key = tuple(folded_tokens[i : i + size])
                if key in self.rules:
                    out.extend(self.rules[key])
                    i += size
                    break
            else:
                out.append(folded_tokens[i])
                i += 1
        return out

    def analyze(self, text: str) -> list[str]:
        """Text → folded, lexicon-expanded tokens with stopwords removed."""
        expanded = self.expand([fold(t) for t in tokens(text)])
        return [t for t in expanded if t not in self.stopwords]
