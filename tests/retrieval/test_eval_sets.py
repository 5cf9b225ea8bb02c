"""Answer quality as regression floors (the measured figures are in the README; the targets
live in bench/quality.py, not here). Precision first: a confidently wrong answer is the worst
outcome, so its ceiling is the tightest bound; declining ("did you mean…") is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import ask_json
from bot.evaluate import evaluate, read_jsonl
from coopbot.core import Core

EVAL = Path(__file__).resolve().parents[2] / "bench" / "eval"


def _run(core: Core, name: str) -> dict[str, object]:
    rows = read_jsonl(EVAL / name)
    return evaluate(rows, lambda q: ask_json(core, q), dict(core.kb.retired))


@pytest.mark.parametrize(
    ("name", "right", "wrong", "declined"),
    [
        ("dev.jsonl", 0.60, 0.05, 0.90),
        ("heldout.jsonl", 0.50, 0.05, 0.90),
        ("realistic.jsonl", 0.15, 0.05, 0.90),
    ],
)
def test_quality_floors(
    shared_core: Core, name: str, right: float, wrong: float, declined: float
) -> None:
    result = _run(shared_core, name)
    inscope = result["inscope"][1]  # type: ignore[index]
    assert result["inscope_wrong"] <= wrong * inscope, result["misses"]  # type: ignore[operator]
    assert result["inscope_accuracy"] >= right, result["misses"]  # type: ignore[operator]
    assert result["oos_rejection"] >= declined, result["misses"]  # type: ignore[operator]
