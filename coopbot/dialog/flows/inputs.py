"""Read one answer (typed text or a button payload) for a question: convert it to the unit the
question asks, ask to confirm a bare number whose unit is unclear, explain what was wrong."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from coopbot.dialog.flows.questions import Question
from coopbot.text.lexicon import AnswerWords
from coopbot.text.normalize import fold, tokens
from coopbot.text.numbers import Duration, parse_duration, parse_number

MAX_NUMBER = 1e15  # beyond any count, amount in đồng or percentage a questionnaire asks for
MAX_TEXT = 200  # characters kept of a free-text fact
SKIP = "skip"  # the value of the "Bỏ qua" button of a fact question
MILLION, BILLION = Decimal(10) ** 6, Decimal(10) ** 9
# What each unit of a number question counts, in Vietnamese, and the kinds of unit words
# (``Number.kinds``) an answer to it may carry.
UNIT_NAMES = {
    "person": "số người",
    "count": "một con số",
    "age": "số tuổi",
    "percent": "tỷ lệ phần trăm",
    "vnd": "số tiền",
    "million_vnd": "số tiền (triệu đồng)",
    "month": "thời gian",
    "year": "thời gian",
    "points": "số điểm",
}
ALLOWED_KINDS = {
    "person": {"person"},
    "count": {"person"},
    "age": {"age"},
    "percent": set(),
    "points": {"points"},
}
SUFFIX = {"month": " tháng", "year": " năm", "percent": "%", "age": " tuổi", "points": " điểm"}
NEGATIVE = ("-", "am ", "lo ")  # "-200", "âm 200", "lỗ 200 triệu" (folded)


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why the input was not accepted (Vietnamese, for the user)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Accepted:
    """The value to store (None: a fact the member skipped) and, when the typed answer was
    converted ("2 năm" for a question in months), how it was read, to show the user."""

    value: Any
    note: str = ""


@dataclass(frozen=True, slots=True)
class Confirm:
    """A bare number whose unit is unclear: the readings to offer, as (label, value) where
    the value is the answer in the question's unit, as a button payload sends it."""

    typed: str
    options: tuple[tuple[str, str], ...]


Reading = Accepted | Invalid | Confirm


def read_answer(
    q: Question, raw: str, payload: bool, limit: float | None, words: AnswerWords
) -> Reading:
    """The value for ``q``. ``limit`` is the effective maximum of a points question;
    ``payload``: the value came from an answer button (already in the question's unit)."""
    text = raw.strip()
    if q.fact is not None and ((payload and text == SKIP) or words.means("skip", text)):
        return Accepted(None)
    if q.input == "yesno":
        return _yesno(text, words)
    if q.input == "choice":
        return _choice(q, text)
    if q.input == "text":
        return _text(text)
    if payload:
        return _canonical(q, text, limit)
    if _zero(q, text, words):
        return _checked(q, Decimal(0), limit)
    if q.unit in ("month", "year"):
        return _duration(q, text)
    if q.unit in ("vnd", "million_vnd"):
        return _money(q, text)
    return _number(q, text, limit)


def _yesno(text: str, words: AnswerWords) -> Reading:
    """Có / không, typed many ways (the words are data: lexicon.yaml ``answers``)."""
    said = words.yes_no(text)
    if said is None:
        return Invalid("Bạn trả lời “có” hoặc “không” giúp mình (hoặc bấm nút).")
    return Accepted(said)


def _choice(q: Question, text: str) -> Reading:
    """A value, a number from the list, or the label typed out."""
    key = fold(text).strip().rstrip(".")
    for i, opt in enumerate(q.options, 1):
        if key in (opt.value, str(i), fold(opt.label)):
            return Accepted(opt.value)
    listing = "; ".join(f"{i}. {o.label}" for i, o in enumerate(q.options, 1))
    return Invalid(f"Bạn chọn một trong các mục (gõ số hoặc bấm nút): {listing}.")


def _text(text: str) -> Reading:
    """A short free answer; a question ("…?") is not one (it is answered, then asked again)."""
    if not tokens(text) or text.endswith("?"):
        return Invalid("Bạn trả lời vài chữ giúp mình, hoặc bấm “Bỏ qua”.")
    return Accepted(text[:MAX_TEXT])


def _zero(q: Question, text: str, words: AnswerWords) -> bool:
    """ "Không", "ko có", "chưa" … mean 0 for a count or amount that may be 0 (not an age)."""
    if q.unit == "age" or (q.min is not None and q.min > 0):
        return False
    return words.means("zero", text) or words.means("no", text)


def _canonical(q: Question, text: str, limit: float | None) -> Reading:
    """A button's value: a plain number in the question's unit."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return _unreadable(q, text)
    return _checked(q, value, limit) if value.is_finite() else _unreadable(q, text)


def _unreadable(q: Question, text: str) -> Invalid:
    """The typed text holds no number we can read surely."""
    example = q.example or "5"
    return Invalid(
        f"Mình chưa đọc được số trong “{text[:40]}”. Bạn gõ một con số, ví dụ: {example}."
    )


def _wrong_unit(q: Question) -> Invalid:
    """The answer names another kind of unit ("3 năm" for a number of people)."""
    what = UNIT_NAMES["points" if q.input == "points" else q.unit or "count"]
    return Invalid(f"Câu này hỏi {what}. Bạn gõ lại giúp mình, ví dụ: {q.example or '5'}.")


def _number(q: Question, text: str, limit: float | None) -> Reading:
    """A count, age, percentage or points; unit words must fit the question."""
    parsed = parse_number(text)
    if parsed is None:
        return _unreadable(q, text)
    allowed = {"points"} if q.input == "points" else ALLOWED_KINDS.get(q.unit or "count", set())
    if parsed.kinds - allowed or (parsed.percent and q.unit not in ("percent", None)):
        return _wrong_unit(q)
    return _checked(q, parsed.value, limit)


def _signed(q: Question, text: str) -> tuple[str, int]:
    """The text without a leading minus / "âm" / "lỗ", and the sign it gave."""
    folded = fold(text).strip()
    if q.min is None:
        for mark in NEGATIVE:
            if folded.startswith(mark):
                return text.strip()[len(mark) :], -1
    return text, 1


def _money(q: Question, text: str) -> Reading:
    """An amount in đồng, or in triệu for ``million_vnd``: "1 tỷ 2", "800tr", "800 triệu";
    a bare number whose scale is unclear is confirmed ("800": triệu or tỷ?)."""
    body, sign = _signed(q, text)
    parsed = parse_number(body)
    if parsed is None:
        return _unreadable(q, text)
    if parsed.percent or parsed.kinds - {"money"}:
        return _wrong_unit(q)
    per = MILLION if q.unit == "million_vnd" else Decimal(1)
    if "money" in parsed.kinds:
        dong = sign * parsed.value
        return _noted(_checked(q, dong / per, None), fmt_money(dong))
    value = sign * parsed.value
    if q.unit == "million_vnd":
        if abs(value) < MILLION:
            return _checked(q, value, None)
        return _confirm(q, text, [(value, value / MILLION), (value * MILLION, value)])
    if abs(value) >= MILLION or value == 0:
        return _noted(_checked(q, value, None), fmt_money(value) if value else "")
    return _confirm(
        q, text, [(value * MILLION, value * MILLION), (value * BILLION, value * BILLION)]
    )


def _confirm(q: Question, typed: str, readings: list[tuple[Decimal, Decimal]]) -> Reading:
    """Offer the (đồng, value in the question's unit) readings that fit the question."""
    options = tuple((fmt_money(dong), _plain(value)) for dong, value in readings if _fits(q, value))
    if not options:
        return _checked(q, readings[0][1], None)
    return Confirm(typed.strip()[:20], options)


def _duration(q: Question, text: str) -> Reading:
    """Years, months, days … converted to the question's unit; a bare number is confirmed
    when reading it in years or in months both fit the question."""
    parsed = parse_duration(text)
    if parsed is None:
        number = parse_number(text)
        if number is not None and (number.kinds - {"duration"} or number.percent):
            return _wrong_unit(q)
        return _unreadable(q, text)
    if parsed.bare is not None:
        return _bare_duration(q, text, parsed.bare)
    return _converted(q, parsed)


def _bare_duration(q: Question, text: str, value: Decimal) -> Reading:
    """ "3" for "bao lâu": 3 of the question's unit, unless 3 of the other unit fits too."""
    if value == 0:
        return _checked(q, value, None)
    as_years = value * 12 if q.unit == "month" else value  # "N năm" in the question's unit
    as_months = value if q.unit == "month" else value / 12  # "N tháng" in the question's unit
    n = fmt_number(value)
    readings = ((f"{n} năm", as_years), (f"{n} tháng", as_months))
    options = tuple((label, _plain(v)) for label, v in readings if _fits(q, v))
    if len(options) < 2 and _fits(q, value):
        return _checked(q, value, None)  # only the question's own unit makes sense
    return Confirm(text.strip()[:20], options) if options else _checked(q, value, None)


def _fits(q: Question, value: Decimal) -> bool:
    """Whether the value is an acceptable answer to the question."""
    return isinstance(_checked(q, value, None), Accepted)


def _converted(q: Question, d: Duration) -> Reading:
    """A duration with its units, in the question's unit; whole units for integer questions."""
    unit = "tháng" if q.unit == "month" else "năm"
    value = d.months() if q.unit == "month" else d.years()
    same = all(u == q.unit for _, u in d.parts) and len(d.parts) == 1
    note = ""
    if q.integer and value != value.to_integral_value():
        value = value.to_integral_value(rounding="ROUND_FLOOR")
        note = f"{fmt_number(value)} {unit} (tính số {unit} tròn)"
    elif value != value.to_integral_value():
        value = value.quantize(Decimal("0.1"))
    if not same and not note:
        note = f"{fmt_number(value)} {unit}"
    return _noted(_checked(q, value, None), note)


def _noted(reading: Reading, note: str) -> Reading:
    """Attach how the answer was read, when it was accepted."""
    if isinstance(reading, Accepted) and note:
        return Accepted(reading.value, note)
    return reading


def _checked(q: Question, value: Decimal, limit: float | None) -> Reading:
    """Accepted if the value fits the question's range and step, else Invalid."""
    checked = check_number(q, float(value), limit)
    return checked if isinstance(checked, Invalid) else Accepted(checked)


def check_number(q: Question, value: float, limit: float | None) -> Any:
    """The value if it fits the question's range and step, else Invalid."""
    example = q.example or "5"
    low = q.min
    high = limit if limit is not None else q.max
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        return Invalid(f"Số này lớn quá. Bạn gõ lại giúp mình, ví dụ: {example}.")
    if q.input == "points" and (value * 2) != int(value * 2):
        return Invalid("Điểm chỉ lấy số nguyên hoặc nửa điểm (ví dụ 3 hoặc 3,5).")
    if q.integer and value != int(value):
        return Invalid(f"Cần một số nguyên, ví dụ: {example}.")
    if q.input == "points" or q.fact is None:
        low = low if low is not None else 0.0
    if (low is not None and value < low) or (high is not None and value > high):
        bottom = fmt_number(low) if low is not None else "…"
        top = fmt_number(high) if high is not None else "…"
        unit = SUFFIX.get("points" if q.input == "points" else q.unit or "", "")
        return Invalid(f"Số phải từ {bottom} đến {top}{unit}. Bạn gõ lại giúp mình.")
    return int(value) if value == int(value) else value


def _plain(value: Decimal) -> str:
    """A number as a button payload sends it: "36", "2.5"."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_number(value: float | Decimal) -> str:
    """As Vietnamese write numbers: 1.0 → "1", 2.5 → "2,5", 1500000 → "1.500.000"."""
    text = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return text.translate(str.maketrans(",.", ".,"))


def fmt_money(dong: Decimal | float) -> str:
    """An amount in the largest unit that keeps it exact: "1,2 tỷ đồng", "800 triệu đồng"."""
    amount = Decimal(str(dong))
    for scale, name in ((BILLION, "tỷ đồng"), (MILLION, "triệu đồng")):
        part = amount / scale
        if abs(part) >= 1 and part == part.quantize(Decimal("0.01")):
            return f"{fmt_number(part)} {name}"
    return f"{fmt_number(amount)} đồng"
