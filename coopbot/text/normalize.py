"""Pure string functions: NFC, casefold, accent folding (đ→d), tokenising."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# str.maketrans cannot express "drop combining marks", and unicodedata has no đ→d
# decomposition (đ is a letter of its own, not d + a mark), so folding is done by hand.
_D_MAP = str.maketrans({"đ": "d", "Đ": "d", "ð": "d"})
_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+", re.UNICODE)
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC, casefold, collapse whitespace; keeps diacritics."""
    text = unicodedata.normalize("NFC", text).casefold()
    return _SPACE.sub(" ", text).strip()


@lru_cache(maxsize=65536)  # called for every word of every message; words repeat a lot
def fold(text: str) -> str:
    """Lowercase and drop Vietnamese diacritics (đ→d); idempotent."""
    decomposed = unicodedata.normalize("NFD", text.casefold().translate(_D_MAP))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).translate(_D_MAP)


def has_diacritics(text: str) -> bool:
    """True when folding would change the text (ignoring case)."""
    lowered = unicodedata.normalize("NFC", text.casefold())
    return fold(lowered) != lowered


def tokens(text: str) -> list[str]:
    """Split normalised text into word and number tokens (punctuation dropped)."""
    return _TOKEN.findall(normalize(text))
