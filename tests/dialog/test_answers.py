"""Composed answers: a title line on every answer, one answer per part asked, premises of the
repealed law corrected, counts checked, the type asked back, and the law at hand."""

from __future__ import annotations

import pytest

from coopbot.core import Core
from coopbot.knowledge import KnowledgeBase
from coopbot.payloads import OpenEntry, Page, unpack

from .helpers import Chat


async def test_every_answer_opens_with_what_it_answers(core: Core, kb: KnowledgeBase) -> None:
    chat = Chat(core)
    await chat.press(OpenEntry("dk-con-dau-htx").pack())
    entry = kb.by_id["dk-con-dau-htx"]
    assert chat.last[0].text.splitlines()[0] == f"📌 {entry.title}"
    assert chat.last[0].text.splitlines()[1].startswith(entry.answer.strip()[:30])


async def test_two_questions_get_two_answers(core: Core) -> None:
    chat = Chat(core)
    await chat.say("Hồ sơ đăng ký thành lập HTX gồm những gì? Lệ phí đăng ký HTX là bao nhiêu?")
    titles = [r.text.splitlines()[0] for r in chat.last if r.text.startswith("📌")]
    assert titles == ["📌 Hồ sơ đăng ký thành lập HTX", "📌 Lệ phí đăng ký thành lập HTX"]
    assert all("Nguồn:" in r.text for r in chat.last)
    votes = [b.label for b in chat.last[-1].buttons]
    assert votes[-2:] == ["👍 Hữu ích", "👎 Chưa đúng"]
    assert all("👍" not in b.label for r in chat.last[:-1] for b in r.buttons)


async def test_a_second_question_answered_by_the_first_entry_offers_its_own(
    core: Core, kb: KnowledgeBase
) -> None:
    # both parts rank the land-contribution entry first; the second may ask about valuation
    chat = Chat(core)
    await chat.say(
        "Góp vốn vào HTX bằng vàng thay tiền mặt được không? Góp bằng đất thì ai định giá?"
    )
    titles = [r.text.splitlines()[0] for r in chat.last if r.text.startswith("📌")]
    assert titles == [f"📌 {kb.by_id['von-gop-bang-dat-tai-san'].title}"]
    pointer = chat.last[-1]
    assert pointer.text.startswith("Nếu ý “Góp bằng đất thì ai định giá” hỏi điều khác")
    offered = [unpack(b.payload) for b in pointer.buttons]
    assert OpenEntry("von-dinh-gia-tai-san") in offered
    assert OpenEntry("von-gop-bang-dat-tai-san") not in offered


async def test_two_questions_on_two_entries_add_no_pointer(core: Core) -> None:
    chat = Chat(core)
    await chat.say("Hồ sơ đăng ký thành lập HTX gồm những gì? Lệ phí đăng ký HTX là bao nhiêu?")
    assert not any(r.text.startswith("Nếu ý") for r in chat.last)


async def test_a_premise_of_the_repealed_law_is_corrected(core: Core) -> None:
    chat = Chat(core)
    await chat.say("Luật bắt buộc phải có 7 thành viên mới lập được hợp tác xã, đúng không ạ?")
    first = chat.last[0].text
    assert first.startswith("Lưu ý: 07 thành viên là quy định của Luật HTX 2012")
    assert "05 thành viên" in first and "Luật Hợp tác xã (2012)" in first


async def test_a_count_from_the_story_is_checked(core: Core) -> None:
    chat = Chat(core)
    await chat.say(
        "Tôi và 4 người bạn muốn lập hợp tác xã trồng nấm. Lập HTX cần ít nhất mấy thành viên?"
    )
    assert "Nhóm bạn có 5 thành viên chính thức: đủ số tối thiểu (05)" in chat.text
    await chat.say(
        "Nhà em 3 anh chị em muốn lập hợp tác xã, lập HTX cần ít nhất bao nhiêu thành viên?"
    )
    assert "Nhóm bạn có 3: chưa đủ 05 thành viên chính thức tối thiểu" in chat.text


async def test_the_type_is_asked_back_when_it_decides_the_answer(core: Core) -> None:
    chat = Chat(core)
    await chat.say("cho em hỏi muốn lập thì cần tối thiểu mấy người vậy")
    assert "hợp tác xã hay tổ hợp tác" in chat.text
    labels = [b.label for b in chat.last[0].buttons]
    assert labels[:2] == ["Hợp tác xã", "Tổ hợp tác"]
    await chat.press(chat.button("Tổ hợp tác"))
    assert "02 thành viên" in chat.text


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("Điều 30 Luật HTX", "Điều 30 Luật Hợp tác xã 17/2023/QH15 — Điều kiện trở thành"),
        ("dieu 96 luat htx 2023", "Điều 96 Luật Hợp tác xã 17/2023/QH15 — Tạm ngừng"),
        ("khoản 3 Điều 74 Luật Hợp tác xã", "Khoản 3 Điều 74 Luật Hợp tác xã 17/2023/QH15"),
        ("Nghị định 92 điều 17", "Điều 17 Nghị định 92/2024/NĐ-CP — Tên trùng"),
    ],
)
async def test_articles_are_looked_up_by_number(core: Core, text: str, heading: str) -> None:
    replies = await Chat(core).say(text)
    assert replies[0].text.startswith(heading)


async def test_a_long_message_that_asks_for_the_text_gets_the_article(core: Core) -> None:
    chat = Chat(core)
    await chat.say(
        "Cho mình hỏi khoản 2 Điều 58 Luật Hợp tác xã năm 2023 "
        "về đại hội đại biểu gồm những gì vậy ad"
    )
    assert chat.text.startswith("Khoản 2 Điều 58 Luật Hợp tác xã 17/2023/QH15")
    await chat.say(
        "Theo Điều 30 Luật HTX thì hợp tác xã phải có tối thiểu bao nhiêu thành viên chính thức"
    )
    assert not chat.text.startswith("Điều 30")  # a question the article answers: the FAQ


async def test_a_long_article_pages_with_more(core: Core) -> None:
    chat = Chat(core)
    await chat.say("dieu 96 luat htx 2023")
    assert "(trang 1/" in chat.text
    await chat.press(chat.button("Xem tiếp ▸"))
    assert "(trang 2/" in chat.text and not chat.text.startswith("Điều 96")


async def test_no_document_named_asks_which_and_2012_is_not_stored(core: Core) -> None:
    chat = Chat(core)
    await chat.say("cho em hỏi điều 30 nói gì")
    assert "văn bản nào" in chat.text and chat.last[0].buttons
    page = unpack(chat.last[0].buttons[0].payload)
    assert isinstance(page, Page) and page.key.endswith(".30")
    await chat.say("điều 5 luật htx 2012")
    assert "chưa lưu toàn văn" in chat.text


async def test_an_answer_links_the_articles_it_cites(core: Core) -> None:
    chat = Chat(core)
    await chat.press(OpenEntry("tl-so-thanh-vien-toi-thieu-htx").pack())
    article = next(b for b in chat.last[0].buttons if isinstance(unpack(b.payload), Page))
    assert article.label == "Điều 4 Luật HTX 2023"
    await chat.press(article.payload)
    assert chat.text.startswith("Điều 4 Luật Hợp tác xã 17/2023/QH15 — Giải thích từ ngữ")


async def test_every_article_is_found_by_its_number(core: Core, kb: KnowledgeBase) -> None:
    aliases = {"luat-htx-2023": "Luật HTX", "nd-92-2024": "Nghị định 92", "nd-45-2021": "NĐ 45"}
    for article in kb.law:
        name = aliases.get(article.doc.id)
        if name is None:
            continue
        text = f"Điều {article.number} {name}"
        outcome = core.router.route(_turn(core, text), None)
        assert outcome.replies[0].text.startswith(f"Điều {article.number} "), text


def _turn(core: Core, text: str):  # type: ignore[no-untyped-def]
    from coopbot.dialog import Turn
    from coopbot.messages import IncomingMessage, UserKey

    return Turn.of(IncomingMessage(UserKey("web", "t"), text=text), "k", "r", 0.0)
