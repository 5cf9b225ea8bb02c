"""Content rules for the provincial plans and the assessment topic, checked on the real base."""

from __future__ import annotations

import re

import pytest

from coopbot.core import Core
from coopbot.knowledge.model import KnowledgeBase
from coopbot.text.normalize import fold

REPEALED_CIRCULAR = "01/2020"
THANKS = re.compile(r"c[ảá]m ơn", re.IGNORECASE)


def _best(core: Core, text: str) -> tuple[str | None, bool]:
    """The best entry id for a question and whether the bot is confident."""
    result = core.router.retriever.search(text)
    return (result.best.entry.id if result.best else None), result.confident


def test_answers_presenting_tt01_state_its_status(kb: KnowledgeBase) -> None:
    for e in kb.entries:
        if e.topic == "danh-gia" and REPEALED_CIRCULAR in e.answer:
            assert "bãi bỏ" in e.answer, e.id


def test_plan_entries_have_the_three_styles_of_asking(kb: KnowledgeBase) -> None:
    plans = [e for e in kb.entries if e.topic == "ke-hoach-tinh"]
    assert len(plans) >= 55
    for e in plans:
        assert len(e.questions) >= 5, e.id
        letters = [q for q in e.questions if len(q) > 110 and THANKS.search(q)]
        plain = [q for q in e.questions if q.isascii()]
        assert letters and len(plain) >= 2, e.id
        assert len(e.answer) <= 800, e.id


def test_sibling_plan_entries_have_distinct_titles(kb: KnowledgeBase) -> None:
    titles = [fold(e.title) for e in kb.entries if e.topic == "ke-hoach-tinh"]
    assert len(titles) == len(set(titles))


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("Kon Tum chọn mấy HTX làm thí điểm kiểu mới?", "kh-kt1185-so-luong"),
        ("HTX phải lãi bao nhiêu năm mới vào mô hình kiểu mới Kon Tum", "kh-kt1185-lai-3-nam"),
        ("giai đoạn 2 kế hoạch 1185 đến khi nào", "kh-kt1185-gd2-hoan-thien"),
        ("hạn báo cáo văn bản 765", "kh-kt765-bao-cao"),
        ("ai quản lý quỹ hỗ trợ htx kon tum", "kh-kt765-quy-ho-tro"),
        ("Năm 2024 Nghệ An muốn thu nhập người lao động HTX bao nhiêu", "kh-na2024-thu-nhap"),
        ("Cần Thơ nhân rộng mấy mô hình HTX kiểu mới", "kh-ct125-5-mo-hinh"),
        ("HTX ở Hậu Giang cũ có áp dụng kế hoạch 124 không", "kh-ct124-125-hieu-luc"),
        ("Tây Ninh 2018 kinh phí hội nghị tổng kết ai chi", "kh-tn2018-kinh-phi"),
    ],
)
def test_a_specific_plan_question_finds_its_specific_entry(
    shared_core: Core, question: str, entry: str
) -> None:
    found, confident = _best(shared_core, question)
    assert confident and found == entry


@pytest.mark.parametrize(
    "question",
    [
        "HTX có 80 thành viên thì là quy mô gì?",
        "htx sieu nho can bao nhieu thanh vien",
        "HTX lớn phải có bao nhiêu thành viên",
    ],
)
def test_size_questions_do_not_get_the_repealed_thresholds(
    shared_core: Core, question: str
) -> None:
    found, confident = _best(shared_core, question)
    assert confident and found != "dg-phan-loai-tt01"
    answer = shared_core.kb.by_id[found].answer if found else ""
    assert "dưới 50" not in answer
