"""Make text from the wire safe to store and process: NFC, no lone surrogates, no NULs.

Every channel's text passes through ``clean`` before the core or any store sees it, so one
malformed message can never poison a batch write (PostgreSQL refuses NUL in text, and no
driver can encode a lone surrogate)."""

from __future__ import annotations

import re
import unicodedata

REPLACEMENT = "\ufffd"
# C0 controls except tab and newline, DEL, and lone UTF-16 surrogates
_BAD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def clean(text: str) -> str:
    """NFC text with surrogates and control characters replaced (``\\r\\n`` becomes ``\\n``)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _BAD.search(text):
        text = _BAD.sub(lambda m: "" if m.group() == "\x00" else REPLACEMENT, text)
    return unicodedata.normalize("NFC", text)


def clean_id(value: str, limit: int = 128) -> str:
    """An identifier from the wire: cleaned, stripped and bounded."""
    return clean(value).strip()[:limit]
