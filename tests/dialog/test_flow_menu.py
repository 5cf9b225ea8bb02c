"""Issue 15 items 7 and 8 (sources line): /help and "menu" list the questionnaires with what each
is for and how long it takes; a long one is offered before it starts; a result's sources line
names each article once."""

from __future__ import annotations

import re

import pytest

from coopbot.core import Core
from coopbot.dialog.flows.evaluate import evaluate
from coopbot.dialog.flows.questions import questions
from coopbot.dialog.flows.render import result_replies
from coopbot.dialog.render import sources_text
from coopbot.knowledge import KnowledgeBase
from coopbot.knowledge.model import SourceRef

from .helpers import Chat


def _listed(kb: KnowledgeBase, text: str) -> None:
    """Every questionnaire is on its own line: command, purpose, number of questions, minutes."""
    for flow in kb.flows.values():
        line = next(x for x in text.splitlines() if x.startswith(f"• /{flow.command} "))
        assert flow.purpose in line
        assert f"{len(questions(flow))} câu" in line and re.search(r"khoảng \d+ phút", line)


@pytest.mark.parametrize(
    "typed",
    ["/help", "/menu", "menu", "Menu", "/huongdan", "danh sách bài", "cac bai kiem tra", "help"],
)
async def test_help_and_menu_list_the_questionnaires(
    core: Core, kb: KnowledgeBase, typed: str
) -> None:
    chat = Chat(core)
    await chat.say(typed)
    _listed(kb, chat.text)
    assert {b.payload for b in chat.last[-1].buttons} == {f"flow:start:{f}" for f in kb.flows}
    assert await chat.stored() is None


async def test_help_still_shows_how_to_ask(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/help")
    assert "/xoadulieu" in chat.text and "Thành lập HTX cần bao nhiêu thành viên?" in chat.text


@pytest.mark.parametrize("typed", ["danh gia htx", "tự đánh giá", "chấm điểm htx"])
async def test_a_long_questionnaire_is_offered_before_it_starts(core: Core, typed: str) -> None:
    chat = Chat(core)
    await chat.say(typed)
    assert await chat.stored() is None and "Câu 1/" not in chat.text
    assert "Tự chấm điểm HTX" in chat.text and "25 câu" in chat.text
    assert re.search(r"khoảng \d+ phút", chat.text) and "/danhgia" in chat.text
    assert [b.label for b in chat.last[-1].buttons] == ["▶ Bắt đầu", "Để sau"]
    await chat.press(chat.button("Để sau"))
    assert "để lúc khác" in chat.text and await chat.stored() is None
    await chat.say(typed)
    await chat.press(chat.button("▶ Bắt đầu"))
    assert "Câu 1/25" in chat.text and await chat.stored() is not None


async def test_a_menu_button_of_a_long_questionnaire_is_offered_too(core: Core) -> None:
    chat = Chat(core)
    await chat.press("flow:start:htx-kieu-moi-kontum")  # 16 questions
    assert "16 câu" in chat.text and await chat.stored() is None
    await chat.press(chat.button("▶ Bắt đầu"))
    assert "Câu 1/16" in chat.text


@pytest.mark.parametrize(
    ("command", "first"), [("/danhgia", "Câu 1/25"), ("/start danhgia", "Câu 1/25")]
)
async def test_a_command_starts_at_once(core: Core, command: str, first: str) -> None:
    chat = Chat(core)
    await chat.say(command)
    assert first in chat.text


async def test_a_short_questionnaire_starts_at_once(core: Core) -> None:
    chat = Chat(core)
    await chat.say("nhóm tôi đủ điều kiện lập HTX chưa?")
    assert "Câu 1/6" in chat.text


def _articles(line: str) -> list[str]:
    """Every "Điều N…" cited in a sources line."""
    return re.findall(r"Điều \d+(?: khoản \d+)?", line)


async def test_the_eligibility_sources_line_names_each_article_once(core: Core) -> None:
    chat = Chat(core)
    for text in ("/kiemtra", "4", "17", "35%", "3", "chưa", "không"):
        await chat.say(text)
    line = next(x for x in chat.text.splitlines() if x.startswith("Nguồn:"))
    articles = _articles(line)
    assert len(articles) == len(set(articles)), line
    numbers = [int(a.split()[1]) for a in articles]
    assert numbers == sorted(numbers)
    assert "Điều 4 khoản 7" not in line and "Điều 4;" in line  # Điều 4 covers its khoản 7


def test_the_scoring_sources_line_has_no_repeat_nor_nested_brackets(kb: KnowledgeBase) -> None:
    flow = kb.flows["tt01-2020"]
    for answers in ({"months_operating": 6, "months_stopped": 6}, {"months_operating": 24}):
        full = {"months_stopped": 0, **answers}
        result = evaluate(flow, {**full, **{f"score:{c.key}": 1 for c in flow.criteria}})
        line = next(
            x for r in result_replies(kb, result) for x in r.text.splitlines() if "Nguồn:" in x
        )
        assert line.count("Phụ lục 2") == 1 and "((" not in line and "))" not in line, line
        assert not re.search(r"\([^()]*\([^()]*\)[^()]*\)", line), line


def test_sources_text_groups_splits_and_covers(kb: KnowledgeBase) -> None:
    law = kb.documents["luat-htx-2023"]
    refs = [
        SourceRef(law, "Điều 4 khoản 7"),
        SourceRef(law, "Điều 30"),
        SourceRef(law, "Điều 4, Điều 30, Điều 74"),
        SourceRef(law, "Điều 110 khoản 2; Điều 109 khoản 1"),
        SourceRef(law, "Điều 30"),
    ]
    assert sources_text(refs, kb) == (
        "Nguồn: Luật Hợp tác xã 17/2023/QH15 "
        "(Điều 4; Điều 30; Điều 74; Điều 109 khoản 1; Điều 110 khoản 2)."
    )
    assert sources_text([SourceRef(law, "Điều 4")], kb) == (
        "Nguồn: Điều 4 Luật Hợp tác xã 17/2023/QH15."
    )


def test_intros_that_count_questions_count_right(kb: KnowledgeBase) -> None:
    counted = 0
    for flow in kb.flows.values():
        said = re.search(r"hỏi (?:tối đa )?(\d+) câu", flow.intro)
        if said:
            counted += 1
            assert int(said[1]) == len(questions(flow)), flow.id
    assert counted >= 4


async def test_progress_counts_questions_that_may_still_come(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/quymo")
    assert "Câu 1/4" in chat.text  # not "Câu 1/1": the branches are not decided yet
    await chat.say("có")
    assert "Câu 2/4" in chat.text
    await chat.say("40")  # under 50 members: micro, the money questions are skipped
    assert "✅" in chat.text and await chat.stored() is None


async def test_menu_typed_mid_way_says_how_and_keeps_the_questionnaire(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/kiemtra")
    await chat.say("menu")
    assert "/menu" in chat.text and "Câu 1/6" in chat.text
    await chat.say("/menu")
    assert "• /danhgia" in chat.text
    await chat.say("7")
    assert "Câu 2/6" in chat.text
