"""Issue 15 items 1 and 4: durations, amounts, counts and yes/no words are read as people type
them, converted to the unit the question asks, and confirmed when the unit is unclear."""

from __future__ import annotations

import pytest

from coopbot.core import Core
from coopbot.knowledge import KnowledgeBase

from .helpers import Chat


async def _months(core: Core, *typed: str) -> object:
    """Answer the first question of /danhgia (HTX age, in months) and return what was stored."""
    chat = Chat(core)
    await chat.say("/danhgia")
    for text in typed:
        await chat.say(text)
    stored = await chat.stored()
    assert stored is not None
    return stored["answers"].get("months_operating")


@pytest.mark.parametrize(
    ("typed", "months"),
    [
        ("2 năm", 24),
        ("2 nam", 24),
        ("1 năm rưỡi", 18),
        ("18 th", 18),
        ("2 năm 3 tháng", 27),
        ("nửa năm", 6),
        ("hai năm", 24),
        ("100 ngày", 3),  # whole months only: 3 full months of 30 days
        ("0", 0),
        ("700", None),  # 700 months is past the range and 700 years too: asked again
    ],
)
async def test_durations_are_converted_to_months(
    core: Core, typed: str, months: int | None
) -> None:
    assert await _months(core, typed) == months


async def test_two_years_passes_the_twelve_month_gate(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/danhgia")
    await chat.say("2 năm")
    assert "Đã ghi: 24 tháng" in chat.text and "Câu 2/" in chat.text
    await chat.say("không")  # stopped: "không" is 0 months here
    assert "dưới 12 tháng" not in chat.text and "Tiêu chí 1a" in chat.text


async def test_a_bare_number_for_a_duration_is_confirmed(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/danhgia")
    await chat.say("3")
    assert "3 năm hay 3 tháng" in chat.text
    stored = await chat.stored()
    assert stored is not None and "months_operating" not in stored["answers"]
    await chat.press(chat.button("3 năm"))
    assert (await chat.stored() or {})["answers"]["months_operating"] == 36
    assert "Câu 2/" in chat.text


async def test_the_unit_alone_completes_a_bare_number(core: Core) -> None:
    assert await _months(core, "3", "tháng") == 3
    assert await _months(core, "3", "nam") == 36


async def test_three_months_fails_the_gate_with_the_reason(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/danhgia")
    await chat.say("3")
    await chat.press(chat.button("3 tháng"))
    await chat.say("0")
    assert "hoạt động dưới 12 tháng" in chat.text


async def test_a_bare_number_with_one_sensible_unit_is_not_asked_about(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/danhgia")
    await chat.say("3 năm")
    await chat.say("2")  # stopped 2 years in this year is impossible: 2 months
    stored = await chat.stored()
    assert stored is not None and stored["answers"]["months_stopped"] == 2


async def test_years_question_reads_months(core: Core, kb: KnowledgeBase) -> None:
    chat = Chat(core)
    await chat.say("/kieumoi")
    await chat.say("có")
    await chat.say("có")
    await chat.say("36 tháng")  # profitable for 36 months: 3 whole fiscal years
    stored = await chat.stored()
    assert stored is not None and stored["answers"]["profitable_years"] == 3
    assert "Đã ghi: 3 năm" in chat.text


@pytest.mark.parametrize(
    ("typed", "revenue"),
    [("800tr", 800e6), ("1 tỷ 2", 1.2e9), ("1,5 tỷ", 1.5e9), ("800 triệu đồng", 800e6)],
)
async def test_money_with_units(core: Core, typed: str, revenue: float) -> None:
    chat = Chat(core)
    for text in ("/quymo", "có", "80", typed):
        await chat.say(text)
    assert "Đã ghi:" in chat.text and "Câu 4/" in chat.text  # below 2 tỷ: capital is asked
    stored = await chat.stored()
    assert stored is not None and stored["answers"]["revenue"] == revenue


async def test_a_bare_amount_is_confirmed_not_read_as_dong(core: Core) -> None:
    chat = Chat(core)
    for text in ("/quymo", "có", "80", "800"):
        await chat.say(text)
    assert "800 triệu đồng hay 800 tỷ đồng" in chat.text
    await chat.press(chat.button("800 triệu đồng"))
    stored = await chat.stored()
    assert stored is not None and stored["answers"]["revenue"] == 800_000_000


@pytest.mark.parametrize(("typed", "members"), [("năm người", 5), ("hai chục", 20), ("7 tv", 7)])
async def test_counts_in_words(core: Core, typed: str, members: int) -> None:
    chat = Chat(core)
    await chat.say("/kiemtra")
    await chat.say(typed)
    stored = await chat.stored()
    assert stored is not None and stored["answers"]["official_members"] == members


@pytest.mark.parametrize("typed", ["3 năm", "800 triệu", "20%"])
async def test_a_number_in_another_unit_is_refused(core: Core, typed: str) -> None:
    chat = Chat(core)
    await chat.say("/kiemtra")
    await chat.say(typed)
    assert "Câu 1/6" in chat.last[-1].text
    assert (await chat.stored() or {}).get("answers") == {}
    if typed != "800 triệu":  # that one reads as a question and gets an answer first
        assert "Câu này hỏi số người" in chat.text


@pytest.mark.parametrize("typed", ["ko", "ko có", "không có ai", "k", "hok có"])
async def test_no_means_zero_for_a_count(core: Core, typed: str) -> None:
    chat = Chat(core)
    for text in ("/kiemtra", "7", "30", "20%", typed):
        await chat.say(text)
    stored = await chat.stored()
    assert stored is not None and stored["answers"]["foreign_official_members"] == 0


@pytest.mark.parametrize(
    ("charter", "plan", "eligible"),
    [
        ("có ạ", "dc", True),
        ("đc", "vâng ạ", True),
        ("dạ có", "uk", True),
        ("ok", "ừ", True),
        ("ko", "có", False),
        ("có", "hong", False),
        ("kg", "có", False),
        ("có", "hok", False),
        ("không ạ", "có", False),
        ("chưa ạ", "có", False),
        ("ko có", "có", False),
    ],
)
async def test_yes_no_words(core: Core, charter: str, plan: str, eligible: bool) -> None:
    chat = Chat(core)
    for text in ("/kiemtra", "7", "30", "20%", "0", charter, plan):
        await chat.say(text)
    assert core.assessments.items[-1].outcome["eligible"] is eligible  # type: ignore[attr-defined]


def test_every_number_question_says_its_unit(kb: KnowledgeBase) -> None:
    steps = [s for f in kb.flows.values() for s in f.steps if s.input == "number"]
    assert steps and all(s.unit is not None for s in steps)
    facts = [f for flow in kb.flows.values() for c in flow.criteria for f in c.facts]
    money = [f for f in facts if f.unit == "million_vnd"]
    assert money and all("triệu đồng" in f.ask for f in money)
