"""The founding-readiness questionnaire as a conversation, with every way to go wrong."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coopbot.config import Settings
from coopbot.core import Core
from coopbot.storage.dialogs import MemoryAssessmentLog

from .helpers import Chat

GOOD = ["bảy người", "25 tuổi", "20%", "0", "có", "rồi"]


async def test_trigger_phrase_starts_and_typed_answers_finish(core: Core) -> None:
    chat = Chat(core)
    await chat.say("nhóm tôi đủ điều kiện lập HTX chưa?")
    assert "Câu 1/6" in chat.text
    for i, answer in enumerate(GOOD[:-1], start=2):
        await chat.say(answer)
        assert f"Câu {i}/6" in chat.text
    await chat.say(GOOD[-1])
    assert "✅" in chat.text and "Điều lệ" in chat.text and "Nguồn: Luật Hợp tác xã" in chat.text
    log = core.assessments
    assert isinstance(log, MemoryAssessmentLog)
    (stored,) = log.items
    assert stored.flow_id == "thanh-lap-htx" and stored.outcome["eligible"] is True
    assert stored.answers["official_members"] == 7 and "1234567890123456789" not in stored.user_key
    await chat.say("7")  # the flow is over: a bare number is no longer an answer
    assert "Câu" not in chat.text


@pytest.mark.parametrize(
    ("index", "bad", "unmet"),
    [
        (0, "4", "official_members"),
        (1, "17", "youngest_official_member_age"),
        (2, "35%", "largest_contribution_percent"),
        (3, "3", "foreign_official_members"),
        (4, "chưa", "has_charter_draft"),
        (5, "không", "has_business_plan"),
    ],
)
async def test_each_unmet_condition_is_named_with_advice(
    core: Core, index: int, bad: str, unmet: str
) -> None:
    chat = Chat(core)
    await chat.say("/kiemtra")
    answers = list(GOOD)
    answers[index] = bad
    for answer in answers:
        await chat.say(answer)
    assert "❌" in chat.text
    outcome = core.assessments.items[-1].outcome  # type: ignore[attr-defined]
    assert outcome["unmet"] == [unmet] and outcome["eligible"] is False
    assert any(b.payload.startswith("faq:") for b in chat.last[0].buttons)


async def test_bad_input_is_asked_again_with_an_example(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/kiemtra")
    for bad in ("nhiều lắm", "3-4", "-2", "2,5"):
        await chat.say(bad)
        assert "Câu 1/6" in chat.text
    await chat.say("5")
    await chat.say("150")
    assert "từ 0 đến 120" in chat.text and "Câu 2/6" in chat.text
    for _ in range(3):
        await chat.say("25")
    await chat.say("có lẽ")
    assert "“có” hoặc “không”" in chat.text and "Câu 5/6" in chat.text


async def test_back_restart_progress_cancel(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/kiemtra")
    await chat.say("quay lại")
    assert "câu đầu tiên" in chat.text and "Câu 1/6" in chat.text
    await chat.say("9")
    await chat.say("30")
    assert "Câu 3/6" in chat.text
    await chat.press(chat.button("⬅ Quay lại"))
    assert "Câu 2/6" in chat.text
    await chat.say("/tiendo")
    assert "Câu 2/6" in chat.text
    await chat.say("làm lại")
    assert "Câu 1/6" in chat.text
    await chat.press(chat.button("✖ Dừng"))
    assert "Đã dừng" in chat.text
    await chat.say("5")
    assert "Câu" not in chat.text


async def test_buttons_answer_yes_no(core: Core) -> None:
    chat = Chat(core)
    await chat.press("flow:start:thanh-lap-htx")
    for answer in GOOD[:4]:
        await chat.say(answer)
    await chat.press(chat.button("Có"))
    await chat.press(chat.button("Không"))
    assert "❌" in chat.text and "phương án sản xuất" in chat.text


async def test_a_question_mid_flow_is_answered_then_the_flow_resumes(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/kiemtra")
    await chat.say("8")
    await chat.say("hợp tác xã có con dấu không?")
    assert "con dấu" in chat.last[0].text and "Nguồn:" in chat.last[0].text
    assert "Câu 2/6" in chat.last[-1].text
    await chat.say("30")
    assert "Câu 3/6" in chat.text


async def test_commands_mid_flow_keep_the_flow(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/kiemtra")
    await chat.say("/help")
    await chat.say("6")
    assert "Câu 2/6" in chat.text


async def test_abandoned_flow_expires(core: Core, settings_default: Settings) -> None:
    now = [1_000_000.0]
    core = replace(core, clock=lambda: now[0])
    chat = Chat(core)
    await chat.say("/kiemtra")
    await chat.say("6")
    now[0] += settings_default.flow_ttl_hours * 3600 + 1
    await chat.say("25")
    assert "hết" in chat.last[0].text or "kết thúc" in chat.last[0].text
    assert "Câu 3/6" not in chat.text


async def test_a_question_about_the_topic_is_answered_with_an_offer(core: Core) -> None:
    chat = Chat(core)
    await chat.say("Khi nào HTX phải nộp bảng tự chấm điểm?")
    assert "15/12" in chat.text and "Nguồn:" in chat.text
    assert "flow:start:tt01-2020" in [b.payload for r in chat.last for b in r.buttons]
    assert await chat.stored() is None
    await chat.say("tự đánh giá")  # a long questionnaire: offered first, started on "Bắt đầu"
    assert "25 câu" in chat.text and await chat.stored() is None
    await chat.press(chat.button("▶ Bắt đầu"))
    assert "Câu 1/25" in chat.text
