"""The questions of a flow, in order: its steps, then (scoring flows) per criterion the facts
the member knows and one points question (skipped when official bands compute the points)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from coopbot.knowledge.flow_schema import RawCriterion, RawFact, RawFlow, RawOption, RawTest

SCORE = "score:"  # answer-key prefix of self-scored criteria
FACT = "fact:"  # answer-key prefix of facts asked for a criterion (None: the member skipped it)
FACT_INPUT = {"yesno": "yesno", "text": "text"}  # other fact units are numbers
FACT_UNIT = {"number": "count", "percent": "percent", "million_vnd": "million_vnd"}
SECONDS = {"yesno": 10, "choice": 10, "number": 20, "text": 25, "points": 30}  # to answer one


@dataclass(frozen=True, slots=True)
class Question:
    """One thing to ask; a criterion becomes a ``points`` question, a fact a ``fact:`` one."""

    key: str
    prompt: str
    input: str  # number | yesno | choice | points | text
    help: str = ""
    example: str = ""
    min: float | None = None
    max: float | None = None
    integer: bool = False
    options: tuple[RawOption, ...] = ()
    ask_if: RawTest | None = None
    group: str | None = None
    unit: str | None = None  # number questions: person, percent, vnd, million_vnd, month …
    criterion: RawCriterion | None = None  # the criterion a points or fact question is about
    fact: RawFact | None = None


def questions(flow: RawFlow) -> list[Question]:
    """Every question of the flow in asking order."""
    cached = _CACHE.get(id(flow))
    if cached is None or cached[0] is not flow:
        if len(_CACHE) > 256:
            _CACHE.clear()
        cached = _CACHE[id(flow)] = (flow, _questions(flow))
    return list(cached[1])


# Flows are immutable and few, and their questions are needed on every message; pydantic models
# with list fields are not hashable, so the cache is keyed by identity (and keeps the flow alive).
_CACHE: dict[int, tuple[RawFlow, tuple[Question, ...]]] = {}


def _questions(flow: RawFlow) -> tuple[Question, ...]:
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
            unit=s.unit,
        )
        for s in flow.steps
    ]
    for c in flow.criteria:
        # a fact is asked only when an official band turns it into points; otherwise it is
        # shown as a hint at the points question (no extra question for nothing)
        if any(f.bands for f in c.facts):
            out += [fact_question(c, f) for f in c.facts]
        prompt = f"Tiêu chí {c.key}. {c.title}\n{c.measures}"
        out.append(
            Question(
                SCORE + c.key,
                prompt,
                "points",
                max=c.max,
                group=c.group,
                example="4" if (c.max or 8) >= 4 else "1",
                criterion=c,
            )
        )
    return tuple(out)


def fact_question(c: RawCriterion, f: RawFact) -> Question:
    """A fact the member knows, asked before the criterion's points."""
    kind = FACT_INPUT.get(f.unit, "number")
    unit = FACT_UNIT.get(f.unit)
    example = {"percent": "60%", "million_vnd": "800 triệu", "count": "3"}.get(unit or "", "")
    return Question(
        FACT + f.key,
        f"Tiêu chí {c.key}. {c.title}\n{f.ask}",
        kind,
        example=example,
        min=None if f.allow_negative else 0.0,
        max=100.0 if f.unit == "percent" else None,
        integer=f.unit == "number",
        unit=unit,
        criterion=c,
        fact=f,
    )


def fact_label(f: RawFact) -> str:
    """The short name of a fact ("Doanh thu"), or its question cut short."""
    return f.label or f.ask.rstrip("?.").split("(")[0].strip()[:40]


def band_points(f: RawFact, value: float) -> float:
    """Points of the band the value falls in (0 below the first band)."""
    return next((b.points for b in reversed(f.bands) if value >= b.min), 0.0)


def computed_points(c: RawCriterion, answers: dict[str, Any]) -> float | None:
    """Points from the official bands of the criterion's facts, when every banded fact was
    answered with a number; None otherwise (the member then scores it)."""
    banded = [f for f in c.facts if f.bands]
    values = [answers.get(FACT + f.key) for f in banded]
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not banded or len(numbers) != len(banded):
        return None
    total = sum(band_points(f, v) for f, v in zip(banded, numbers, strict=True))
    return min(total, c.max) if c.max is not None else total


def size(flow: RawFlow) -> tuple[int, int, bool]:
    """How many questions at most, about how many minutes, and whether answers skip some."""
    todo = questions(flow)
    seconds = sum(SECONDS.get(q.input, 20) for q in todo)
    branches = any(q.ask_if is not None for q in todo) or bool(flow.gate)
    return len(todo), max(1, math.ceil(seconds / 60)), branches


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

    ``hopeful`` counts, for progress, the scored criteria while the gate is still undecided and
    the questions whose ``ask_if`` waits on a question still to come ("Câu 1/4", not "Câu 1/1").
    """
    undecided = hopeful and any(holds(g.test, answers) is None for g in flow.gate)
    open_gate = undecided or gate_passed(flow, answers)
    out: list[Question] = []
    for q in questions(flow):
        if q.ask_if is not None and holds(q.ask_if, answers) is not True:
            waiting = holds(q.ask_if, answers) is None and q.ask_if.key in {x.key for x in out}
            if not (hopeful and waiting):
                continue
        if q.criterion is not None and not open_gate:
            continue
        if (
            q.input == "points"
            and q.criterion
            and computed_points(q.criterion, answers) is not None
        ):
            continue
        out.append(q)
    return out


def criterion_points(c: RawCriterion, answers: dict[str, Any]) -> float | None:
    """The points given (or computed) for a criterion so far; None when not yet known."""
    if SCORE + c.key in answers:
        return float(answers[SCORE + c.key])
    return computed_points(c, answers)


def gate_passed(flow: RawFlow, answers: dict[str, Any]) -> bool:
    """Scoring flows: every gate condition holds (unanswered counts as not yet passed)."""
    return all(holds(g.test, answers) is True for g in flow.gate)


def group_left(flow: RawFlow, group: str | None, answers: dict[str, Any], key: str) -> float:
    """Points still available in a group, excluding the question being asked."""
    spec = next(g for g in flow.groups if g.id == group)
    others = [c for c in flow.criteria if c.group == group and SCORE + c.key != key]
    known = {c.key: criterion_points(c, answers) for c in others}
    used = sum(p for p in known.values() if p is not None)
    fixed = sum(c.max or 0 for c in others if c.max is not None and known[c.key] is None)
    return max(0.0, spec.max - used - fixed)
