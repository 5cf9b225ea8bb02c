"""The questions of a flow, in order: its steps, then (scoring flows) one per criterion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coopbot.knowledge.flow_schema import RawFlow, RawOption, RawTest

SCORE = "score:"  # answer-key prefix of self-scored criteria


@dataclass(frozen=True, slots=True)
class Question:
    """One thing to ask; a criterion becomes a ``points`` question."""

    key: str
    prompt: str
    input: str  # number | yesno | choice | points
    help: str = ""
    example: str = ""
    min: float | None = None
    max: float | None = None
    integer: bool = False
    options: tuple[RawOption, ...] = ()
    ask_if: RawTest | None = None
    group: str | None = None


def questions(flow: RawFlow) -> list[Question]:
    """Every question of the flow in asking order."""
    out = [
        Question(
            s.key,
            s.prompt,
            s.input,
            s.help,
            s.example,
            s.min,
            s.max,
            s.integer,
            tuple(s.options),
            s.ask_if,
        )
        for s in flow.steps
    ]
    for c in flow.criteria:
        prompt = f"Tiêu chí {c.key}. {c.title}\n{c.measures}"
        out.append(
            Question(
                SCORE + c.key,
                prompt,
                "points",
                max=c.max,
                group=c.group,
                example="4" if (c.max or 8) >= 4 else "1",
            )
        )
    return out


def holds(test: RawTest, answers: dict[str, Any]) -> bool | None:
    """Whether a test holds on the answers; None when its key is unanswered."""
    if test.key not in answers:
        return None
    value = answers[test.key]
    if test.op == "is_true":
        return value is True
    if test.op == "is_false":
        return value is False
    if test.op in ("in", "not_in"):
        inside = value in (test.value if isinstance(test.value, list) else [test.value])
        return inside if test.op == "in" else not inside
    target: Any = test.value
    if test.times_key is not None:
        if test.times_key not in answers:
            return None
        base = test.value if isinstance(test.value, int | float) else 0.0
        target = float(base) * float(answers[test.times_key])
    return _compare(value, test.op, target)


def _compare(value: Any, op: str, target: Any) -> bool:
    """Apply a comparison operator."""
    if op == "==":
        return bool(value == target)
    if op == "!=":
        return bool(value != target)
    a, b = float(value), float(target)
    return {">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b}[op]


def applicable(flow: RawFlow, answers: dict[str, Any], hopeful: bool = False) -> list[Question]:
    """The questions that apply given the answers so far (``ask_if``, gate for scoring).

    ``hopeful`` counts the scored criteria while the gate is still undecided, for progress.
    """
    undecided = hopeful and any(holds(g.test, answers) is None for g in flow.gate)
    open_gate = undecided or gate_passed(flow, answers)
    out = []
    for q in questions(flow):
        if q.ask_if is not None and holds(q.ask_if, answers) is not True:
            continue
        if q.key.startswith(SCORE) and not open_gate:
            continue
        out.append(q)
    return out


def gate_passed(flow: RawFlow, answers: dict[str, Any]) -> bool:
    """Scoring flows: every gate condition holds (unanswered counts as not yet passed)."""
    return all(holds(g.test, answers) is True for g in flow.gate)


def group_left(flow: RawFlow, group: str | None, answers: dict[str, Any], key: str) -> float:
    """Points still available in a group, excluding the question being asked."""
    spec = next(g for g in flow.groups if g.id == group)
    used = sum(
        float(answers[SCORE + c.key])
        for c in flow.criteria
        if c.group == group and SCORE + c.key in answers and SCORE + c.key != key
    )
    fixed = sum(
        c.max or 0
        for c in flow.criteria
        if c.group == group
        and c.max is not None
        and SCORE + c.key not in answers
        and SCORE + c.key != key
    )
    return max(0.0, spec.max - used - fixed)
