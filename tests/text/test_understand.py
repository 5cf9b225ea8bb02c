"""Question understanding on messages written the way people write (examples written for the
tests, not taken from the evaluation sets)."""

from __future__ import annotations

import pytest

from coopbot.knowledge import KnowledgeBase
from coopbot.text.grammar import Grammar
from coopbot.text.understand import understand


@pytest.fixture(scope="module")
def g(kb: KnowledgeBase) -> Grammar:
    return kb.grammar


def test_a_letter_keeps_only_its_question(g: Grammar) -> None:
    u = understand(
        "Kính gửi anh chị, tôi là Hùng ở Đắk Lắk, nhà tôi trồng cà phê đã lâu. "
        "Xin hỏi thành viên muốn rút vốn thì được trả lại thế nào? Tôi xin chân thành cảm ơn.",
        g,
    )
    assert [p.text.rstrip("?") for p in u.parts] == [
        "thành viên muốn rút vốn thì được trả lại thế nào"
    ]
    assert "cà phê" in u.story and "hùng" not in u.story.lower()


def test_a_self_introduction_keeps_the_organisation_it_names(g: Grammar) -> None:
    u = understand(
        "Toi la Sau, toi o to hop tac dan gio o Phu Vang. To da cho toi rut tu thang truoc. "
        "To truong phai gach ten toi trong bao lau?",
        g,
    )
    assert u.story.startswith("to hop tac dan gio")
    assert "sau" not in u.story.split()
    assert "to hop tac" in u.parts[0].context


def test_a_long_story_keeps_the_type_it_opened_with(g: Grammar) -> None:
    filler = "năm nào tổ cũng chia lãi đều cho mọi người và không ai thắc mắc gì cả. " * 4
    u = understand(f"Tổ hợp tác nuôi ong của chúng tôi lập năm 2019. {filler}Giờ phải làm sao?", g)
    assert "nuôi ong" not in u.parts[0].context  # the story was cut to its last words
    assert u.parts[0].context.startswith("tổ hợp tác ")  # but its subject leads what is kept


def test_an_either_or_question_is_one_part(g: Grammar) -> None:
    u = understand(
        "Vốn điều lệ khai theo số tiền đã góp có đúng không, hay phải cộng cả tiền vay? "
        "Hay là chỉ tính tiền mặt thôi?",
        g,
    )
    assert len(u.parts) == 1 and "tiền vay" in u.parts[0].text and "tiền mặt" in u.parts[0].text
    assert len(understand("HTX cần mấy người? Hồ sơ gồm những gì?", g).parts) == 2


def test_zalo_style_opening_is_stripped(g: Grammar) -> None:
    u = understand("ad oi cho em hoi lap htx can may nguoi vay", g)
    assert [p.text for p in u.parts] == ["lap htx can may nguoi vay"]
    assert u.parts[0].aspects >= {"how_many"}


def test_several_questions_in_one_sentence(g: Grammar) -> None:
    u = understand("Hồ sơ đăng ký HTX gồm những gì, nộp ở đâu, mất bao lâu, có tốn phí không?", g)
    assert len(u.parts) == 4
    assert u.parts[1].aspects >= {"where"} and u.parts[3].aspects >= {"fee"}
    assert "Hồ sơ" in u.parts[1].context  # a short part keeps the question it continues


def test_a_tag_question_stays_with_its_statement(g: Grammar) -> None:
    u = understand("Luật bắt buộc lập HTX phải có con dấu tròn, đúng không?", g)
    assert len(u.parts) == 1 and "con dấu" in u.parts[0].text


def test_types_do_not_leak_into_each_other(g: Grammar) -> None:
    assert understand("tổ hợp tác cần mấy người", g).types == {"tht"}
    assert understand("liên hiệp hợp tác xã cần mấy hợp tác xã", g).types >= {"lhhtx"}
    assert understand("lập hợp tác xã cần mấy người", g).types == {"htx"}
    assert understand("lập thì cần mấy người vậy", g).types == frozenset()


def test_accents_are_respected_when_typed(g: Grammar) -> None:
    # "mây tre" (rattan) is not "mấy" (how many): a statement, not a question
    u = understand("Bà con trong xóm làm mây tre đan. Hợp tác xã cần mấy người?", g)
    assert [p.text.rstrip("?") for p in u.parts] == ["Hợp tác xã cần mấy người"]


def test_question_words_in_statements_when_questions_carry_a_question_mark(g: Grammar) -> None:
    # the writer marks questions with "?": "không nộp gì", "mấy hộ", unaccented "may" (máy)
    # inside a sentence closed by "." are a statement's words, which stays as context
    u = understand(
        "HTX tôi gửi nghị quyết giải thể rồi bỏ đó không nộp thêm gì. "
        "Anh em mua may cay cua mấy hộ trong xã. Giờ HTX phải làm tiếp thủ tục nào?",
        g,
    )
    assert [p.text.rstrip("?") for p in u.parts] == ["Giờ HTX phải làm tiếp thủ tục nào"]
    assert "nghị quyết giải thể" in u.parts[0].context
    u = understand("Tôi là Lan ở Huế. Nhà tôi trồng sen. HTX cần mấy người?", g)
    assert "lan" not in u.parts[0].context.lower() and "trồng sen" in u.parts[0].context


def test_an_unmarked_yes_no_question_still_asks(g: Grammar) -> None:
    u = understand("Cho em hỏi HTX có được vay vốn ngân hàng. Lãi suất bao nhiêu?", g)
    assert len(u.parts) == 2
    u = understand("HTX có phải nộp báo cáo tài chính không. Nộp ở đâu?", g)
    assert len(u.parts) == 2


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Tôi và 4 người bạn muốn lập hợp tác xã.", 5),
        ("tui voi 3 nguoi ban cung xom muon lap htx", 4),
        ("Nhà em 4 anh chị em muốn lập tổ hợp tác.", 4),
        ("Xóm tôi có năm hộ nuôi bò.", 5),
        ("Ở thôn tôi có anh Sáu, chị Bảy cùng làm.", None),  # names, not counts
        ("HTX chúng tôi lập năm 2019.", None),
    ],
)
def test_counts_read_from_a_story(g: Grammar, text: str, count: int | None) -> None:
    assert understand(text, g).count == count


def test_premises_of_the_repealed_law(g: Grammar) -> None:
    members = understand("Luật bắt buộc 7 thành viên mới được lập HTX đúng không?", g)
    assert [p.id for p in members.premises] == ["bay-thanh-vien"]
    cap = understand("mỗi người được góp vốn tối đa 20% vốn điều lệ phải không", g)
    assert [p.id for p in cap.premises] == ["tran-von-20"]
    assert understand("HTX có 7 máy cày", g).premises == ()
