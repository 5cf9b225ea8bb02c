"""Recognise greetings, thanks, goodbyes and help requests from data in lexicon.yaml."""

from __future__ import annotations

from collections.abc import Mapping

from coopbot.text.lexicon import Lexicon
from coopbot.text.normalize import fold, tokens


class SmallTalk:
    """A message is small talk when every non-filler word belongs to one intent's phrases."""

    def __init__(self, intents: Mapping[str, tuple[str, ...]], lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._phrases = {
            name: {" ".join(fold(t) for t in tokens(p)) for p in phrases}
            for name, phrases in intents.items()
        }
        self._words = {
            name: {w for p in phrases for w in p.split()} for name, phrases in self._phrases.items()
        }

    def intent(self, text: str) -> str | None:
        """The intent name, or None when the message asks something."""
        words = [fold(t) for t in tokens(text)]
        content = [w for w in words if w not in self._lexicon.stopwords]
        if not words or len(words) > 8:
            return None
        joined = " ".join(content or words)
        for name, phrases in self._phrases.items():
            if joined in phrases or " ".join(words) in phrases:
                return name
        for name, vocab in self._words.items():
            if content and all(w in vocab for w in content):
                return name
        return None
