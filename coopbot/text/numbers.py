"""Read numbers the way Vietnamese people type them: "1,5 tỷ", "1.500.000", "1tỷ2", "500tr",
"2 tỷ rưỡi", "70%", "bảy mươi", "hai chục", and durations: "2 năm 3 tháng", "1 năm rưỡi",
"nửa năm", "18 th", "90 ngày". Anything ambiguous or unreadable gives None, never a guess; what
kind of unit was typed (money, person, year …) is reported so a caller can refuse a mismatch.

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
NUMBER_WORDS = ("muoi", "tram", "linh", "le", "chuc")
# Words that name what a number counts; reported in ``Number.kinds`` (folded).
KIND_WORDS = {
    **{w: "money" for w in ("ty", "ti", "trieu", "tr", "cu", "nghin", "ngan", "k", "dong", "vnd")},
    "d": "money",
    "nguoi": "person",
    "tv": "person",
    "vien": "person",
    "ho": "person",
    "tuoi": "age",
    "diem": "points",
    "thang": "duration",
    "ngay": "duration",
}
# Durations: Bộ luật Dân sự 2015 (91/2015/QH13) Điều 146 khoản 1: a year is 365 days, half a
# year six months, a month 30 days, a week 7 days.
DURATION_UNITS = {
    "nam": "year",
    "thang": "month",
    "th": "month",
    "thg": "month",
    "ngay": "day",
    "tuan": "week",
    "quy": "quarter",
}
DAYS = {"year": Decimal(365), "month": Decimal(30), "day": Decimal(1), "week": Decimal(7)}
MONTHS = {"year": Decimal(12), "quarter": Decimal(3), "month": Decimal(1)}
DURATION_FILLERS = {
    "khoang",
    "chung",
    "hon",
    "tren",
    "duoc",
    "da",
    "roi",
    "nay",
    "la",
    "co",
    "htx",
    "hoat",
    "dong",
    "ngung",
    "lien",
    "tuc",
    "lai",
    "a",
    "nhe",
    "nha",
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
    """A parsed number; ``percent`` when typed with % or "phần trăm"; ``kinds``: what the unit
    words typed with it count (``money``, ``person``, ``age``, ``points``, ``duration``)."""

    value: Decimal
    percent: bool = False
    kinds: frozenset[str] = frozenset()
    words: bool = False  # written (partly) in words ("bảy mươi", "1 tỷ 2")


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time: ``parts`` in units ("year", "month", "day", …), or a bare number
    (``parts`` empty, ``bare`` set) whose unit the caller must decide or confirm."""

    parts: tuple[tuple[Decimal, str], ...] = ()
    bare: Decimal | None = None

    def months(self) -> Decimal:
        """In months (a month is 30 days)."""
        return sum(
            (n * MONTHS[u] if u in MONTHS else n * DAYS[u] / DAYS["month"] for n, u in self.parts),
            Decimal(0),
        )

    def years(self) -> Decimal:
        """In years (a year is 12 months or 365 days)."""
        return sum(
            (
                n * MONTHS[u] / 12 if u in MONTHS else n * DAYS[u] / DAYS["year"]
                for n, u in self.parts
            ),
            Decimal(0),
        )


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
        elif w == "chuc":  # "hai chục" = 20
            current = (current or 1) * 10
            seen = True
        elif w == "tram":
            total += (current or 1) * 100
            current, seen = 0, True
        elif w in ("linh", "le"):
            continue
        else:
            return None
    return Decimal(total + current) if seen else None


def _split(text: str) -> str:
    """Folded, with "%" for "phần trăm" and digits split from letters ("500tr" → "500 tr")."""
    folded = fold(text).replace("phan tram", "%")
    folded = _GLUED.sub(lambda m: f"{m[1] or m[3]} {m[2] or m[4]}", folded)
    return _GLUED.sub(lambda m: f"{m[1] or m[3]} {m[2] or m[4]}", folded)


def parse_number(text: str) -> Number | None:
    """The number in a short answer, or None when it is missing or ambiguous."""
    folded = _split(text)
    percent = "%" in folded
    tokens = [t for t in re.split(r"[\s%]+", folded.replace("ruoi", " ruoi ")) if t]
    kinds = {KIND_WORDS[t] for t in tokens if t in KIND_WORDS}
    if any(t == "nam" for t in tokens[1:]) and parse_numeral(tokens[0]) is not None:
        kinds.add("duration")  # "3 năm": the year
    tokens = [t for t in tokens if t not in FILLERS or t in DIGIT_WORDS]
    if not tokens or any(t.startswith("-") for t in tokens):
        return None
    value = _combine(tokens)
    if value is None:
        return None
    words = any(
        (t in DIGIT_WORDS and not (t == "nam" and i and parse_numeral(tokens[i - 1])))
        or t in NUMBER_WORDS
        or t == "ruoi"
        for i, t in enumerate(tokens)
    )
    return Number(value, percent, frozenset(kinds), words)


def parse_duration(text: str) -> Duration | None:
    """A duration typed as "2 năm 3 tháng", "1 năm rưỡi", "nửa năm", "18 th", "90 ngày",
    "hai năm" or a bare "3"; None when unreadable or approximate ("gần 1 năm")."""
    tokens = [t for t in re.split(r"\s+", _split(text)) if t]
    parts: list[tuple[Decimal, str]] = []
    amount: Decimal | None = None
    words: list[str] = []
    half = False
    for i, tok in enumerate(tokens):
        pending = amount is not None or bool(words) or half
        if tok in DURATION_UNITS and pending and not (words and words[-1] in ("linh", "le")):
            value = Decimal("0.5") if half and amount is None and not words else amount
            value = value if value is not None else _words_value(words)
            if value is None or (half and (amount is not None or words)):
                return None
            parts.append((value, DURATION_UNITS[tok]))
            amount, words, half = None, [], False
        elif tok == "nua" and not pending:
            half = True
        elif tok == "ruoi" and parts and not pending and tokens[i - 1] in DURATION_UNITS:
            parts.append((Decimal("0.5"), parts[-1][1]))  # "1 năm rưỡi": and a half year
        elif (num := parse_numeral(tok)) is not None:
            if pending:
                return None
            amount = num
        elif tok == "tam" and i + 1 < len(tokens) and parse_numeral(tokens[i + 1]) is not None:
            continue  # "tầm 2 năm": about
        elif tok in DIGIT_WORDS or tok in NUMBER_WORDS:
            if amount is not None or half:
                return None
            words.append(tok)
        elif tok in DURATION_FILLERS:
            continue
        else:
            return None
    if half:
        return None
    if amount is None and words:
        amount = _words_value(words)
        if amount is None:
            return None
    if amount is not None:
        return None if parts else Duration(bare=amount)
    return Duration(tuple(parts)) if parts else None


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
        elif tok in DIGIT_WORDS or tok in NUMBER_WORDS:
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
