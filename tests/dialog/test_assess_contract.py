"""The non-interactive contract: ``coopbot assess --flow ID --answers FILE --json``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from coopbot.dialog.flows.evaluate import answers_from_json, evaluate
from coopbot.errors import InputError
from coopbot.knowledge import KnowledgeBase

MAXIMA = {
    "1a": 6,
    "1b": 1,
    "2a": 5,
    "2b": 1,
    "3a": 4,
    "3b": 3,
    "3c": 4,
    "4a": 2,
    "4b": 2,
    "4c": 2,
    "5": 8,
    "6": 6,
    "7a": 2,
    "7b": 2,
    "7c": 2,
    "8": 6,
    "9": 4,
}
OPEN = ["10", "11", "12", "13", "14", "15"]


def tt01(total: float, months: int = 24, stopped: int = 0) -> dict[str, Any]:
    """Answers whose points add up to ``total`` (groups I and II first, then group III)."""
    scores: dict[str, float] = {}
    left = total
    for key, top in MAXIMA.items():
        scores[key] = min(top, left)
        left -= scores[key]
    for key in OPEN:
        scores[key] = min(40 / 6, left) // 0.5 * 0.5
        left -= scores[key]
    scores["15"] += left
    return {"months_operating": months, "months_stopped": stopped, "scores": scores}


def run(kb: KnowledgeBase, flow: str, data: dict[str, Any]) -> dict[str, Any]:
    return evaluate(kb.flows[flow], answers_from_json(kb.flows[flow], data)).to_json()


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        (100, "tot"),
        (80, "tot"),
        (79.5, "kha"),
        (65, "kha"),
        (64.5, "trung_binh"),
        (50, "trung_binh"),
        (49.5, "yeu"),
        (0, "yeu"),
    ],
)
def test_tt01_band_boundaries(kb: KnowledgeBase, total: float, grade: str) -> None:
    result = run(kb, "tt01-2020", tt01(total))
    assert result["assessed"] is True and result["grade"] == grade
    assert result["total"] == total
    assert sum(result["groups"].values()) == total and set(result["groups"]) == {"I", "II", "III"}


@pytest.mark.parametrize(("months", "stopped"), [(11, 0), (24, 4)])
def test_tt01_not_assessed(kb: KnowledgeBase, months: int, stopped: int) -> None:
    result = run(kb, "tt01-2020", {"months_operating": months, "months_stopped": stopped})
    assert result == {
        "flow": "tt01-2020",
        "assessed": False,
        "total": None,
        "grade": None,
        "groups": None,
    }


def test_tt01_boundary_of_the_gate(kb: KnowledgeBase) -> None:
    assert run(kb, "tt01-2020", tt01(70, months=12, stopped=3))["assessed"] is True


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"1a": 6.5}, "scores.1a"),
        ({"5": -1}, "scores.5"),
        ({"9": 2.25}, "scores.9"),
        ({"10": 40, "11": 1}, "scores.11"),
        ({"7c": "2"}, "scores.7c"),
    ],
)
def test_tt01_bad_points_name_the_key(kb: KnowledgeBase, change: dict[str, Any], key: str) -> None:
    data = tt01(60)
    data["scores"].update(change)
    with pytest.raises(InputError, match=key.replace(".", r"\.")):
        answers_from_json(kb.flows["tt01-2020"], data)


def test_missing_and_unknown_keys(kb: KnowledgeBase) -> None:
    data = tt01(60)
    del data["scores"]["3b"]
    with pytest.raises(InputError, match=r"scores\.3b: missing"):
        answers_from_json(kb.flows["tt01-2020"], data)
    with pytest.raises(InputError, match="surprise: unknown"):
        answers_from_json(kb.flows["tt01-2020"], {**tt01(60), "surprise": 1})


KONTUM_OK = {
    "law_compliant": True,
    "in_plan_model": True,
    "dossier_complete": True,
    "has_business_plan": True,
    "annual_congress": True,
    "profitable_years": 3,
    "assessment_2020_score": 65,
    "many_members": False,
    "community_activities": True,
    "large_scale_value_chain": False,
    "linkage_contract": True,
    "women": False,
    "minority_remote_area": False,
    "supports_vulnerable": False,
    "youth_startup": False,
    "minority_household_percent": 20,
}


def test_kontum_eligible_with_priorities(kb: KnowledgeBase) -> None:
    result = run(kb, "htx-kieu-moi-kontum", KONTUM_OK)
    assert result["eligible"] is True and result["unmet"] == []
    assert set(result["priority_met"]) == {
        "community_activities",
        "linkage_contract",
        "minority_household_percent",
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("law_compliant", False),
        ("in_plan_model", False),
        ("dossier_complete", False),
        ("has_business_plan", False),
        ("annual_congress", False),
        ("profitable_years", 2),
        ("assessment_2020_score", 64.5),
    ],
)
def test_kontum_each_mandatory_condition(kb: KnowledgeBase, key: str, value: Any) -> None:
    result = run(kb, "htx-kieu-moi-kontum", {**KONTUM_OK, key: value})
    assert result["eligible"] is False and result["unmet"] == [key]


VAY_OK = {
    "borrower_type": "thanh_vien_tht",
    "plan_feasible": True,
    "own_capital_percent": 20,
    "has_bad_debt": False,
}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("borrower_type", "doanh_nghiep"),
        ("plan_feasible", False),
        ("own_capital_percent", 19.5),
        ("has_bad_debt", True),
    ],
)
def test_vay_quy_each_condition(kb: KnowledgeBase, key: str, value: Any) -> None:
    assert run(kb, "vay-quy-htx", VAY_OK) == {
        "flow": "vay-quy-htx",
        "eligible": True,
        "unmet": [],
        "priority_met": [],
    }
    result = run(kb, "vay-quy-htx", {**VAY_OK, key: value})
    assert result["eligible"] is False and result["unmet"] == [key]


def test_vay_quy_rejects_an_unknown_borrower_type(kb: KnowledgeBase) -> None:
    with pytest.raises(InputError, match="borrower_type: must be one of"):
        answers_from_json(kb.flows["vay-quy-htx"], {**VAY_OK, "borrower_type": "ngan_hang"})


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "assess", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_contract(tmp_path: Path) -> None:
    good = tmp_path / "a.json"
    good.write_text(json.dumps(tt01(81)))
    out = _cli("--flow", "tt01-2020", "--answers", str(good), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "flow": "tt01-2020",
        "assessed": True,
        "total": 81,
        "grade": "tot",
        "groups": {"I": 30, "II": 30, "III": 21},
    }
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({**VAY_OK, "own_capital_percent": 120}))
    out = _cli("--flow", "vay-quy-htx", "--answers", str(bad), "--json")
    assert out.returncode == 2 and "own_capital_percent" in out.stderr and not out.stdout
    assert _cli("--flow", "khong-co", "--answers", str(good)).returncode == 2
    (tmp_path / "c.json").write_text("{broken")
    assert _cli("--flow", "tt01-2020", "--answers", str(tmp_path / "c.json")).returncode == 2
