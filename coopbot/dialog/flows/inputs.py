"""Read one answer (typed text or a button payload) for a question; explain what was wrong."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from coopbot.dialog.flows.questions import Question
from coopbot.text.normalize import fold
from coopbot.text.numbers import parse_number

MAX_NUMBER = 1e15  # beyond any count, amount in đồng or percentage a questionnaire asks for
YES = {
    "co",
    "c",
    "yes",
    "y",
    "ok",
    "dung",
    "roi",
    "co roi",
    "da co",
    "dung roi",
    "vang",
    "u",
    "uh",
    "da",
    "dong y",
    "co a",
    "yes a",
}
NO = {"khong", "ko", "k", "kg", "no", "n", "chua", "sai", "khong co", "chua co", "hong", "hok"}


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why the input was not accepted (Vietnamese, for the user)."""

    reason: str


def read_answer(q: Question, raw: str, payload: bool, limit: float | None) -> Any:
    """The value for ``q``, or Invalid. ``limit`` is the effective maximum of a points question;
    ``payload``: the value came from an answer button, not from typing."""
    text = raw
    if q.input == "yesno":
        return _yesno(text)
    if q.input == "choice":
        return _choice(q, text)
    return _number(q, text, limit)


def _yesno(text: str) -> Any:
    """Có / không, typed many ways."""
    key = " ".join(fold(text).replace(".", " ").replace("!", " ").split())
    if key in YES or key == "yes":
        return True
    if key in NO or key == "no":
        return False
    return Invalid("Bạn trả lời “có” hoặc “không” giúp mình (hoặc bấm nút).")


def _choice(q: Question, text: str) -> Any:
    """A value, a number from the list, or the label typed out."""
    key = fold(text).strip().rstrip(".")
    for i, opt in enumerate(q.options, 1):
        if key in (opt.value, str(i), fold(opt.label)):
            return opt.value
    listing = "; ".join(f"{i}. {o.label}" for i, o in enumerate(q.options, 1))
    return Invalid(f"Bạn chọn một trong các mục (gõ số hoặc bấm nút): {listing}.")


def _number(q: Question, text: str, limit: float | None) -> Any:
    """A number within the question's range; points in halves."""
    parsed = parse_number(text)
    if parsed is None:
        example = q.example or "5"
        return Invalid(
            f"Mình chưa đọc được số trong “{text[:40]}”. Bạn gõ một con số, ví dụ: {example}."
        )
    return check_number(q, float(parsed.value), limit)


def check_number(q: Question, value: float, limit: float | None) -> Any:
    """The value if it fits the question's range and step, else Invalid."""
    example = q.example or "5"
    low = q.min if q.min is not None else 0.0
    high = limit if limit is not None else q.max
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        return Invalid(f"Số này lớn quá. Bạn gõ lại giúp mình, ví dụ: {example}.")
    if q.input == "points" and (value * 2) != int(value * 2):
        return Invalid("Điểm chỉ lấy số nguyên hoặc nửa điểm (ví dụ 3 hoặc 3,5).")
    if q.integer and value != int(value):
        return Invalid(f"Cần một số nguyên, ví dụ: {example}.")
    if value < low or (high is not None and value > high):
        top = fmt_number(high) if high is not None else "…"
        return Invalid(f"Số phải từ {fmt_number(low)} đến {top}. Bạn gõ lại giúp mình.")
    return int(value) if value == int(value) else value


def fmt_number(value: float) -> str:
    """1.0 → "1", 2.5 → "2,5"."""
    return str(int(value)) if value == int(value) else str(value).replace(".", ",")
