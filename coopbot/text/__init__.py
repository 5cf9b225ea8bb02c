"""Vietnamese text normalisation: NFC, casefold, accent folding and lexicon expansion."""

from coopbot.text.lexicon import Lexicon
from coopbot.text.normalize import fold, has_diacritics, normalize, tokens

__all__ = ["Lexicon", "fold", "has_diacritics", "normalize", "tokens"]
