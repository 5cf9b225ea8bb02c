"""Read numbers the way Vietnamese people type them: "1,5 tỷ", "1.500.000", "1tỷ2", "500tr",
"2 tỷ rưỡi", "70%", "bảy mươi". Anything ambiguous or unreadable gives None, never a guess.

Written by hand: no maintained library reads Vietnamese number words and money shorthand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from coopbot.text.normalize import fold

UNITS = {
    "ty": Decimal(10) ** 9,
    "ti": Decimal(10) ** 9,
    "trieu": Decimal(10) ** 6,
    "tr": Decimal(10) ** 6,
    "cu": Decimal(10) ** 6,
    "nghin": Decimal(1000),
    "ngan": Decimal(1000),
    "k": Decimal(1000),
}
DIGIT_WORDS = {
    "khong": 0,
    "mot": 1,
    "mott": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "lam": 5,
    "nham": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
}
# Words that may surround a number without changing it ("khoảng 7 người", "30 tuổi").
FILLERS = {
    "dong",
    "vnd",
    "vnđ",
    "d",
    "nguoi",
    "thanh",
    "vien",
    "tv",
    "tuoi",
    "thang",
    "ho",
    "diem",
    "la",
    "co",
    "duoc",
    "khoang",
    "chung",
    "tam",
    "htx",
    "hop",
    "tac",
    "xa",
    "von",
    "dieu",
    "le",
}
_NUMERAL = re.compile(r"^\d+(?:[.,]\d+)*$")
_GLUED = re.compile(r"(\d)([a-z%])|([a-z%])(\d)")


@dataclass(frozen=True, slots=True)
class Number:
    """A parsed number; ``percent`` when typed with % or "phần trăm"."""

    value: Decimal
    percent: bool = False


def parse_numeral(text: str) -> Decimal | None:
    """Digits with Vietnamese separators: "1.500.000" = 1500000, "1,5" = 1.5, "1.5" = 1.5."""
    if not _NUMERAL.match(text):
        return None
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_sep = "." if text.rfind(".") > text.rfind(",") else ","
        thousands = "," if decimal_sep == "." else "."
        if text.count(decimal_sep) > 1:
            return None
        text = text.replace(thousands, "").replace(decimal_sep, ".")
    elif dots + commas:
        sep = "." if dots else ","
        groups = text.split(sep)
        if len(groups) > 2 or len(groups[1]) == 3:
            if not all(len(g) == 3 for g in groups[1:]):
                return None
            text = text.replace(sep, "")
        else:
            text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _words_value(words: list[str]) -> Decimal | None:
    """Vietnamese number words below one thousand: "bảy mươi" = 70, "một trăm linh năm" = 105."""
    total, current, seen = 0, 0, False
    for i, w in enumerate(words):
        if w in DIGIT_WORDS:
            digit = DIGIT_WORDS[w]
            if w in ("lam", "nham") and i == 0:
                return None
            current += digit
            seen = True
        elif w == "muoi":  # "mười" (10) or "mươi" (× 10); folded alike
            current = current * 10 if current else 10
            seen = True
        elif w == "tram":
            total += (current or 1) * 100
            current, seen = 0, True
        elif w in ("linh", "le"):
            continue
        else:
            return None
    return Decimal(total + current) if seen else None


def parse_number(text: str) -> Number | None:
    """The number in a short answer, or None when it is missing or ambiguous."""
    folded = fold(text).replace("phan tram", "%")
    folded = _GLUED.sub(lambda m: f"{m[1] or m[3]} {m[2] or m[4]}", folded)
    folded = _GLUED.sub(lambda m: f"{m[1] or m[3]} {m[2] or m[4]}", folded)
    percent = "%" in folded
    tokens = [t for t in re.split(r"[\s%]+", folded.replace("ruoi", " ruoi ")) if t]
    tokens = [t for t in tokens if t not in FILLERS or t in DIGIT_WORDS]
    if not tokens or any(t.startswith("-") for t in tokens):
        return None
    value = _combine(tokens)
    return Number(value, percent) if value is not None else None


def _combine(tokens: list[str]) -> Decimal | None:
    """Sum of ``amount unit`` parts, with "1 tỷ 2" and "2 tỷ rưỡi" shorthand."""
    total = Decimal(0)
    amount: Decimal | None = None
    last_unit: Decimal | None = None
    words: list[str] = []
    for tok in tokens:
        if tok in UNITS and (amount is not None or words):
            amount = amount if amount is not None else _words_value(words)
            if amount is None or (last_unit is not None and UNITS[tok] >= last_unit):
                return None
            total += amount * UNITS[tok]
            last_unit, amount, words = UNITS[tok], None, []
        elif tok == "nam" and amount is not None and not words:
            continue  # "3 năm": năm is the year, not five
        elif tok == "ruoi" and last_unit is not None and amount is None and not words:
            total += last_unit / 2
            last_unit = None
        elif (num := parse_numeral(tok)) is not None:
            if amount is not None or words:
                return None
            amount = num
        elif tok in DIGIT_WORDS or tok in ("muoi", "tram", "linh", "le"):
            if amount is not None:
                return None
            words.append(tok)
        else:
            return None
    if words:
        amount = _words_value(words)
        if amount is None:
            return None
    if amount is not None:
        if last_unit is not None:  # "1 tỷ 2" = 1.2 tỷ, "5tr5" = 5.5 triệu
            digits = len(str(int(amount)))
            total += amount * last_unit / Decimal(10) ** digits
        else:
            total += amount
    elif last_unit is None and total == 0:
        return None
    return total
