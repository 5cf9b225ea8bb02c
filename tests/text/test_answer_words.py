"""Short replies inside a questionnaire, read from lexicon.yaml ``answers`` (data, not code)."""

from __future__ import annotations

import pytest

from coopbot.knowledge import KnowledgeBase
from coopbot.text.lexicon import AnswerWords

YES = ["có", "co", "có ạ", "Có.", "dc", "đc", "được", "vâng ạ", "dạ có", "dạ", "ok", "uk", "ừ",
       "đúng rồi", "có rồi", "đã có rồi", "dc roi", "Dạ vâng ạ"]  # fmt: skip
NO = ["không", "ko", "ko có", "k", "kg", "khg", "hong", "hok", "hông", "không ạ", "chưa ạ",
      "chưa", "chưa có", "dạ không ạ", "Dạ chưa", "k có", "không có đâu"]  # fmt: skip
NEITHER = ["có lẽ", "không biết", "để xem", "ko chắc", "abc", "", "có không", "3"]


@pytest.mark.parametrize("text", YES)
def test_yes(kb: KnowledgeBase, text: str) -> None:
    assert kb.lexicon.answers.yes_no(text) is True


@pytest.mark.parametrize("text", NO)
def test_no(kb: KnowledgeBase, text: str) -> None:
    assert kb.lexicon.answers.yes_no(text) is False


@pytest.mark.parametrize("text", NEITHER)
def test_neither(kb: KnowledgeBase, text: str) -> None:
    assert kb.lexicon.answers.yes_no(text) is None


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("zero", "không ai"),
        ("zero", "ko ngừng"),
        ("zero", "chưa đánh giá ạ"),
        ("skip", "không biết"),
        ("skip", "ko nhớ"),
        ("skip", "bỏ qua nhé"),
        ("menu", "menu"),
        ("menu", "danh sách bài"),
        ("menu", "cac bai kiem tra"),
    ],
)
def test_other_kinds(kb: KnowledgeBase, kind: str, text: str) -> None:
    assert kb.lexicon.answers.means(kind, text)
    assert not kb.lexicon.answers.means(kind, "hợp tác xã cần mấy người")


def test_the_lists_are_data() -> None:
    words = AnswerWords.from_lists({"yes": ["ừa"], "no": ["hổng dám"], "particles": ["nha"]})
    assert words.yes_no("Ừa nha") is True and words.yes_no("hong dam") is False
    assert AnswerWords().yes_no("có") is None  # nothing hard-coded
