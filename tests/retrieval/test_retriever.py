"""Retriever behaviour on the real knowledge base: styles of typing, off-topic questions."""

from __future__ import annotations

import pytest

from coopbot.core import Core


def _best(core: Core, text: str) -> tuple[str | None, bool]:
    result = core.router.retriever.search(text)
    return (result.best.entry.id if result.best else None), result.confident


@pytest.mark.parametrize(
    "text",
    [
        "Thành lập hợp tác xã cần ít nhất mấy thành viên?",
        "thanh lap htx can bao nhieu nguoi",
        "lap htx can bn tv",
        "thàng lập hợp tác sã cần baonhieu người",
    ],
)
def test_same_question_in_four_styles_finds_one_entry(shared_core: Core, text: str) -> None:
    reference, _ = _best(shared_core, "Thành lập hợp tác xã cần tối thiểu bao nhiêu thành viên?")
    found, confident = _best(shared_core, text)
    assert confident
    assert found == reference


def test_question_inside_a_story(shared_core: Core) -> None:
    text = (
        "nhà em có 4 anh chị em muốn lập HTX trồng cà phê ở xã, "
        "vậy cần bao nhiêu thành viên mới đủ ạ"
    )
    found, confident = _best(shared_core, text)
    reference, _ = _best(shared_core, "Thành lập hợp tác xã cần tối thiểu bao nhiêu thành viên?")
    assert confident and found == reference


@pytest.mark.parametrize(
    "text",
    [
        "Hôm nay trời có mưa không?",
        "giá cà phê hôm nay",
        "đăng ký kết hôn cần giấy tờ gì",
        "asdkjh qwe",
        "cách nấu phở bò",
    ],
)
def test_off_topic_is_never_confident(shared_core: Core, text: str) -> None:
    assert not shared_core.router.retriever.search(text).confident


def test_unsure_question_offers_at_most_three_suggestions(shared_core: Core) -> None:
    result = shared_core.router.retriever.search("hợp tác xã")
    assert len(result.matches) <= 3


def test_a_question_in_pieces_is_analysed_like_the_whole(shared_core: Core) -> None:
    r = shared_core.router.retriever
    story, asked = "Tổ hợp tác của tôi có 5 người.", "Muốn lên htx thì làm gì?"
    whole, pieces = r.query(f"{story} {asked}"), r.query(story, asked)
    assert pieces.text == whole.text
    assert pieces.key == whole.key
    assert pieces.cols.tolist() == whole.cols.tolist()
    assert pieces.total == whole.total


def test_a_ranking_is_remembered_by_its_words_and_accents(shared_core: Core) -> None:
    r = shared_core.router.retriever
    plain, accented = r.query("hop tac xa la gi"), r.query("hợp tác xã là gì")
    assert plain.tokens == accented.tokens
    assert plain.key != accented.key  # the accent bonus may rank them differently
