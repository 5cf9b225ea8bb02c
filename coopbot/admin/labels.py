"""Vietnamese labels for the keys staff see (pages and CSV exports alike), and Vietnam time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
# a question typed to the bot: answered, unsure, outside, asked back (which type?), or law look-up
QUESTION_KINDS = ("faq", "not_sure", "out_of_scope", "ask_type", "law")
CHANNEL_NAMES = {"web": "Web", "telegram": "Telegram", "zalo": "Zalo", "cli": "Dòng lệnh"}
KIND_NAMES = {
    "faq": "Đã trả lời",
    "not_sure": "Chưa chắc, gợi ý",
    "out_of_scope": "Không trả lời được",
    "ask_type": "Hỏi lại loại hình",
    "law": "Tra điều luật",
    "smalltalk": "Chào hỏi",
    "flow": "Bộ câu hỏi",
    "command": "Lệnh",
    "button": "Bấm nút",
    "payload": "Bấm nút cũ",
    "non_text": "Không phải chữ",
    "empty": "Tin trống",
    "too_long": "Tin quá dài",
}
STATUS_NAMES = {
    "answered": "Trả lời chắc chắn",
    "unsure": "Chưa chắc",
    "unanswered": "Không trả lời được",
    "disliked": "Bị chê 👎",
}
REVIEW_NAMES = {"ignored": "Đã bỏ qua", "attached": "Đã gắn cách hỏi", "drafted": "Đã soạn mục"}
FEEDBACK_NAMES = {1: "👍 hữu ích", -1: "👎 chưa đúng"}


class _Band(Protocol):
    grade: str
    label: str


class _Flow(Protocol):
    @property
    def bands(self) -> Any: ...


def label(names: Mapping[Any, str], key: Any) -> str:
    """The label of ``key``, or the key itself when it has none (never an empty cell)."""
    return names.get(key, "" if key is None else str(key))


def outcome_label(outcome: Mapping[str, Any], flow: _Flow | None = None) -> str:
    """A short Vietnamese label for a stored questionnaire outcome; grades by the flow's bands."""
    if "eligible" in outcome:
        return "Đủ điều kiện" if outcome["eligible"] else "Chưa đủ điều kiện"
    grade = outcome.get("grade")
    if not grade:
        return "Chưa chấm điểm (chưa qua điều kiện)"
    bands: list[_Band] = list(flow.bands) if flow is not None else []
    return next((b.label for b in bands if b.grade == grade), str(grade).replace("_", " "))


def vn_iso(value: datetime) -> str:
    """ISO 8601 in Vietnam time with its offset, e.g. ``2026-11-24T12:00:00+07:00``."""
    return value.astimezone(LOCAL).isoformat(timespec="seconds")
