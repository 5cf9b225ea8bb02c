"""Scoring guidance on criteria (rubric, facts) and the size check under NĐ 113/2024."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from coopbot.core import Core
from coopbot.dialog.flows.evaluate import evaluate
from coopbot.knowledge import check_knowledge
from coopbot.knowledge.flow_schema import NOT_FOUND, RawCriterion
from coopbot.knowledge.model import KnowledgeBase

from ..dialog.helpers import Chat

SOURCE = {"doc": "tt-01-2020-bkhdt", "article": "Phụ lục 2"}
BASE: dict[str, Any] = {
    "key": "1a",
    "group": "I",
    "title": "Tổng nguồn vốn bình quân",
    "measures": "Vốn bình quân trong năm.",
    "max": 6,
    "advice": "Tăng vốn góp.",
}
FACT = {"key": "von", "ask": "Vốn bình quân?", "unit": "million_vnd", "rule": "Theo bảng điểm."}
BANDS = [{"min": 0, "points": 2}, {"min": 1000, "points": 4}, {"min": 5000, "points": 6}]


def _criterion(**extra: Any) -> RawCriterion:
    """A criterion built from BASE plus the given fields."""
    return RawCriterion.model_validate({**BASE, **extra})


def test_official_rule_with_bands_is_accepted() -> None:
    c = _criterion(
        rubric={"found": True, "text": "Dưới 1 tỷ: 2 điểm; …", "source": SOURCE},
        facts=[{**FACT, "bands": BANDS}],
    )
    assert c.rubric is not None and c.rubric.found
    assert [b.points for b in c.facts[0].bands] == [2, 4, 6]


def test_missing_rule_must_say_so() -> None:
    with pytest.raises(ValidationError, match=NOT_FOUND):
        _criterion(rubric={"found": False, "text": "Tối đa 6 điểm.", "source": SOURCE})
    ok = _criterion(
        rubric={"found": False, "text": f"{NOT_FOUND.capitalize()}; tối đa 6.", "source": SOURCE}
    )
    assert ok.rubric is not None and not ok.rubric.found


def test_bands_without_an_official_rule_are_refused() -> None:
    text = f"{NOT_FOUND}; tối đa 6 điểm."
    with pytest.raises(ValidationError, match="official rule was found"):
        _criterion(
            rubric={"found": False, "text": text, "source": SOURCE},
            facts=[{**FACT, "bands": BANDS}],
        )
    with pytest.raises(ValidationError, match="official rule was found"):
        _criterion(facts=[{**FACT, "bands": BANDS}])


def test_band_points_above_the_maximum_are_refused() -> None:
    with pytest.raises(ValidationError, match="more than the criterion's 6"):
        _criterion(
            rubric={"found": True, "text": "Từ 5 tỷ: 7 điểm.", "source": SOURCE},
            facts=[{**FACT, "bands": [{"min": 0, "points": 1}, {"min": 5000, "points": 7}]}],
        )


@pytest.mark.parametrize(
    ("fact", "reason"),
    [
        ({**FACT, "bands": [{"min": 5, "points": 1}, {"min": 5, "points": 2}]}, "increasing"),
        ({**FACT, "unit": "yesno", "bands": [{"min": 1, "points": 1}]}, "cannot have numeric"),
        ({**FACT, "unit": "kg"}, "unit"),
    ],
)
def test_malformed_facts_are_refused(fact: dict[str, Any], reason: str) -> None:
    rubric = {"found": True, "text": "Theo Phụ lục.", "source": SOURCE}
    with pytest.raises(ValidationError, match=reason):
        _criterion(rubric=rubric, facts=[fact])


def test_kb_check_names_the_file_of_a_bad_rubric(knowledge_copy: Path) -> None:
    path = knowledge_copy / "questionnaires" / "tt01-2020.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["criteria"][0]["rubric"]["text"] = "Tối đa 6 điểm."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = [str(p) for p in check_knowledge(knowledge_copy)[1]]
    assert any(p.startswith("knowledge/questionnaires/tt01-2020.yaml") for p in problems)
    assert any(NOT_FOUND in p for p in problems), problems


def test_every_scoring_criterion_has_sourced_guidance(kb: KnowledgeBase) -> None:
    scoring = [f for f in kb.flows.values() if f.kind == "scoring"]
    assert scoring
    for flow in scoring:
        for c in flow.criteria:
            assert c.rubric is not None, (flow.id, c.key)
            assert c.rubric.source.doc in kb.documents, (flow.id, c.key)


def test_tt01_states_that_no_official_bands_were_found(kb: KnowledgeBase) -> None:
    criteria = kb.flows["tt01-2020"].criteria
    assert all(c.rubric is not None and not c.rubric.found for c in criteria)
    assert not any(f.bands for c in criteria for f in c.facts)
    asked = {f.key for c in criteria for f in c.facts}
    assert {"doanh_thu", "loi_nhuan_truoc_thue", "ty_le_tv_su_dung_dich_vu"} <= asked


@pytest.mark.parametrize(
    ("answers", "micro", "unmet"),
    [
        ({"agriculture": True, "members": 49}, True, []),
        ({"agriculture": True, "members": 120, "revenue": 2e9}, False, ["revenue"]),
        (
            {"agriculture": True, "members": 50, "revenue": 1.5e9, "capital": 1e9},
            False,
            ["capital"],
        ),
        ({"agriculture": True, "members": 300, "revenue": 1.9e9, "capital": 9e8}, True, []),
        ({"agriculture": False}, False, ["agriculture"]),
    ],
)
def test_agricultural_size_check(
    kb: KnowledgeBase, answers: dict[str, Any], micro: bool, unmet: list[str]
) -> None:
    result = evaluate(kb.flows["quy-mo-htx"], answers)
    assert result.eligible is micro
    assert [c.id for c in result.unmet] == unmet


async def test_size_check_in_a_chat_skips_what_is_not_needed(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/quymo")
    assert "Câu 1/" in chat.text
    await chat.say("có")
    await chat.say("40")
    assert "✅" in chat.text and "Nguồn:" in chat.text
    await chat.say("/quymo")
    for answer in ("có", "80", "2,5 tỷ"):
        await chat.say(answer)
    assert "❌" in chat.text and "2 tỷ" in chat.text
