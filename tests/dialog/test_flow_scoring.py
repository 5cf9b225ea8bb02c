"""Issue 15 items 2 and 3: the criteria that lost most are ranked by points lost; each criterion
shows what earns its points (saying plainly when no official rule was found); facts the member
knows are asked only where official bands compute points from them, named as hints otherwise,
and shown next to the points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from coopbot.config import load_settings
from coopbot.core import Core, Stores, build_core
from coopbot.dialog.flows.engine import FlowState, current
from coopbot.dialog.flows.evaluate import answers_from_json, evaluate
from coopbot.dialog.flows.render import result_replies
from coopbot.errors import InputError
from coopbot.knowledge import KnowledgeBase
from coopbot.knowledge.flow_schema import NOT_FOUND
from coopbot.storage.inquiries import MemoryInquiryLog

from .helpers import Chat
from .test_assess_contract import MAXIMA, OPEN


def _full(**changes: float) -> dict[str, Any]:
    """tt01 answers at every maximum (group III 40 = 7+7+7+7+6+6), with some points changed."""
    scores: dict[str, float] = {**MAXIMA, **dict(zip(OPEN, [7, 7, 7, 7, 6, 6], strict=True))}
    scores.update(changes)
    return {"months_operating": 24, "months_stopped": 0, "scores": scores}


def _weakest(kb: KnowledgeBase, data: dict[str, Any]) -> tuple[list[str], str]:
    """Keys of the criteria listed as losing most, and the result text."""
    flow = kb.flows["tt01-2020"]
    result = evaluate(flow, answers_from_json(flow, data))
    text = "\n".join(r.text for r in result_replies(kb, result))
    return [s.criterion.key for s in result.weakest()], text


def test_ranked_by_points_lost_not_by_share(kb: KnowledgeBase) -> None:
    # 1b and 7a lose 100 % of a small maximum; criterion 5 loses 7 of 8 points
    keys, text = _weakest(kb, _full(**{"5": 1, "1b": 0, "7a": 0, "4a": 1}))
    assert keys == ["5", "7a", "1b"]
    assert "3 tiêu chí mất nhiều điểm nhất" in text and "(1/8, mất 7 điểm)" in text


def test_ties_go_to_the_larger_share_then_the_earlier_criterion(kb: KnowledgeBase) -> None:
    keys, _ = _weakest(kb, _full(**{"4a": 0, "7a": 0, "1a": 4, "5": 6}))
    assert keys == ["4a", "7a", "1a"]  # all lost 2: 4a and 7a lost all of theirs; 4a is asked first


def test_a_criterion_that_lost_nothing_is_never_listed(kb: KnowledgeBase) -> None:
    keys, text = _weakest(kb, _full(**{"9": 3}))
    assert keys == ["9"] and "Tiêu chí bị mất điểm:" in text and "3 tiêu chí" not in text
    keys, text = _weakest(kb, _full())
    assert keys == [] and "Không tiêu chí nào bị mất điểm" in text


def test_unverified_maxima_never_lose_more_than_the_group_lacks(kb: KnowledgeBase) -> None:
    keys, _ = _weakest(kb, _full(**{"10": 10, "11": 4, "5": 7}))  # group III still 40
    assert keys == ["5"]


async def _run_tt01(chat: Chat, kb: KnowledgeBase, answer: Any) -> list[str]:
    """Go through /danhgia; ``answer(question)`` gives each typed answer. Returns every prompt."""
    await chat.say("/danhgia")
    await chat.say("2 năm")
    await chat.say("0")
    prompts = []
    while (stored := await chat.stored()) is not None:
        q, _, _ = current(kb, FlowState.from_json(stored))
        assert q is not None
        prompts.append(chat.last[-1].text)
        await chat.say(answer(q))
    return prompts


async def test_every_criterion_shows_its_rubric_and_says_no_official_rule(
    core: Core, kb: KnowledgeBase
) -> None:
    chat = Chat(core)
    prompts = await _run_tt01(chat, kb, lambda q: "bỏ qua" if q.fact else "1")
    points = [p for p in prompts if "điểm (được chấm nửa điểm)" in p or "Nhóm này còn" in p]
    assert len(points) == 23
    for prompt in points:
        assert "📏 Cách chấm:" in prompt and NOT_FOUND in prompt.lower()
        assert "(chính thức)" not in prompt
        assert len(prompt) <= 600, prompt  # a phone screen or two
    facts = [p for p in prompts if "Bỏ qua" in p and p not in points]
    assert facts == []  # no official band turns a fact into points: none is asked
    flow = kb.flows["tt01-2020"]
    hinted = [p for p in points if "💡 Để tự chấm, hãy xem:" in p]
    assert len(hinted) == sum(1 for c in flow.criteria if c.facts) > 0
    assert "Tổng nguồn vốn bình quân" in next(p for p in points if "Tiêu chí 1a" in p)


def test_facts_given_to_assess_are_shown_next_to_self_scored_points(kb: KnowledgeBase) -> None:
    flow = kb.flows["tt01-2020"]
    data = {**_full(**{"1a": 5}), "facts": {"tong_nguon_von_binh_quan": 1200}}
    result = evaluate(flow, answers_from_json(flow, data))
    text = "\n".join(r.text for r in result_replies(kb, result))
    facts = text.split("Số liệu bạn đã cho")[1]
    assert "1a. Tổng nguồn vốn bình quân: 1,2 tỷ đồng → tự chấm 5/6" in facts
    assert "chưa có ngưỡng chính thức" in facts and "1b." not in facts  # not given: not shown


def _with_official_bands(root: Path) -> None:
    """Make criterion 1a of tt01 carry an official rule with bands (as a found rule would)."""
    path = root / "questionnaires" / "tt01-2020.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    c = data["criteria"][0]
    c["rubric"] = {"found": True, "text": "Dưới 1 tỷ: 2 điểm; từ 1 tỷ: 4; từ 5 tỷ: 6.",
                   "source": {"doc": "tt-01-2020-bkhdt", "article": "Phụ lục 2"}}  # fmt: skip
    c["facts"][0]["bands"] = [{"min": 0, "points": 2}, {"min": 1000, "points": 4},
                              {"min": 5000, "points": 6}]  # fmt: skip
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def banded_core(knowledge_copy: Path) -> Core:
    """A core whose tt01 criterion 1a has official bands."""
    _with_official_bands(knowledge_copy)
    settings = load_settings(knowledge_dir=knowledge_copy)
    return build_core(settings, Stores(inquiries=MemoryInquiryLog()))


async def test_official_bands_compute_the_points(banded_core: Core) -> None:
    chat = Chat(banded_core)
    for text in ("/danhgia", "3 năm", "0", "1,5 tỷ"):
        await chat.say(text)
    assert "Tiêu chí 1a: 4/6 điểm, tính theo ngưỡng chính thức" in chat.text
    assert "Tiêu chí 1b" in chat.text  # 1a's points question is not asked
    kb = banded_core.router.kb
    while (stored := await chat.stored()) is not None:
        q, _, _ = current(kb, FlowState.from_json(stored))
        await chat.say("bỏ qua" if q and q.fact else "0")
    outcome = banded_core.assessments.items[-1].outcome  # type: ignore[attr-defined]
    assert outcome["total"] == 4 and outcome["groups"]["I"] == 4
    assert "1a. Tổng nguồn vốn bình quân: 1,5 tỷ đồng → 4/6, tính theo ngưỡng chính thức" in (
        chat.text
    )


async def test_a_skipped_banded_fact_falls_back_to_self_scoring(banded_core: Core) -> None:
    chat = Chat(banded_core)
    for text in ("/danhgia", "3 năm", "0", "không biết"):
        await chat.say(text)
    assert "Tiêu chí 1a" in chat.text and "📏 Cách chấm (chính thức):" in chat.text
    assert "Tối đa 6 điểm" in chat.text


def test_facts_in_the_assess_contract_are_optional_and_checked(kb: KnowledgeBase) -> None:
    flow = kb.flows["tt01-2020"]
    data = _full()
    plain = evaluate(flow, answers_from_json(flow, data)).to_json()
    given = {**data, "facts": {"doanh_thu": 800, "von_tang": True, "loi_nhuan_truoc_thue": -50}}
    assert evaluate(flow, answers_from_json(flow, given)).to_json() == plain
    with pytest.raises(InputError, match=r"facts\.von_tang: must be true or false"):
        answers_from_json(flow, {**data, "facts": {"von_tang": "có"}})
    with pytest.raises(InputError, match=r"facts\.doanh_thu"):
        answers_from_json(flow, {**data, "facts": {"doanh_thu": -5}})
    with pytest.raises(InputError, match=r"facts\.khong_co: unknown"):
        answers_from_json(flow, {**data, "facts": {"khong_co": 1}})
