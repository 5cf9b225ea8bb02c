"""Every questionnaire: start by command, garbage at every step is re-asked, then finish."""

from __future__ import annotations

import pytest

from coopbot.config import REPO_KNOWLEDGE
from coopbot.core import Core
from coopbot.dialog.flows.engine import FlowState, current
from coopbot.dialog.flows.questions import Question
from coopbot.knowledge import KnowledgeBase, load_knowledge

from .helpers import Chat

FLOWS = sorted(load_knowledge(REPO_KNOWLEDGE).flows)  # every questionnaire in knowledge/


def valid_answer(q: Question) -> str:
    """A typed answer any question of that kind accepts, with its unit where it has one."""
    if q.input == "yesno":
        return "có"
    if q.input == "choice":
        return "1"
    if q.input == "text":
        return "giấy khen của xã"
    if q.input == "points":
        return "1,5" if (q.max or 2) >= 2 else "0,5"
    months = "20 tháng" if (q.max or 600) >= 20 else "2 tháng"
    by_unit = {"month": months, "year": "2 năm", "vnd": "1 tỷ 2", "million_vnd": "800 triệu"}
    if q.unit in by_unit:
        return by_unit[q.unit]
    return "20" if q.max is None or q.max >= 100 else "2"


@pytest.mark.parametrize("flow_id", FLOWS)
async def test_garbage_at_every_step_then_a_result(
    core: Core, kb: KnowledgeBase, flow_id: str
) -> None:
    chat = Chat(core)
    await chat.say("/" + kb.flows[flow_id].command)
    for _ in range(120):
        stored = await chat.stored()
        if stored is None:
            break
        state = FlowState.from_json(stored)
        q, pos, total = current(kb, state)
        assert q is not None and f"Câu {pos}/{total}" in chat.text
        await chat.say("???")
        assert f"Câu {pos}/{total}" in chat.text
        after = await chat.stored()
        assert after is not None and after["answers"] == stored["answers"]
        await chat.say(valid_answer(q))
    else:
        pytest.fail("the questionnaire never finished")
    assert "Nguồn:" in chat.text and "KẾT QUẢ" in chat.text
    assert core.assessments.items[-1].flow_id == flow_id  # type: ignore[attr-defined]


@pytest.mark.parametrize("flow_id", FLOWS)
def test_results_fit_a_phone(core: Core, kb: KnowledgeBase, flow_id: str) -> None:
    for q in kb.flows[flow_id].steps:
        assert len(q.prompt) <= 300, q.key
    for b in core.router._menu():
        assert len(b.payload.encode()) <= 64
