"""Turn a complete set of answers into a result; validate answers given all at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coopbot.dialog.flows.inputs import Invalid, check_number
from coopbot.dialog.flows.questions import (
    SCORE,
    applicable,
    gate_passed,
    group_left,
    holds,
    questions,
)
from coopbot.errors import InputError
from coopbot.knowledge.flow_schema import RawCondition, RawCriterion, RawFlow


@dataclass(frozen=True)
class Scored:
    """A criterion with the points given and its share of the (effective) maximum."""

    criterion: RawCriterion
    points: float
    ratio: float


@dataclass(frozen=True)
class FlowResult:
    """Everything a result message and the stored outcome need."""

    flow: RawFlow
    answers: dict[str, Any]
    eligible: bool | None = None
    unmet: tuple[RawCondition, ...] = ()
    priority_met: tuple[RawCondition, ...] = ()
    assessed: bool | None = None
    gate_failed: tuple[RawCondition, ...] = ()
    total: float | None = None
    grade: str | None = None
    grade_label: str | None = None
    groups: dict[str, float] = field(default_factory=dict)
    scored: tuple[Scored, ...] = ()

    def weakest(self, n: int = 3) -> list[Scored]:
        """The criteria that lose the most, relative to their maximum."""
        return sorted(self.scored, key=lambda s: (s.ratio, s.criterion.key))[:n]

    def to_json(self) -> dict[str, Any]:
        """The contract of ``coopbot assess --json``."""
        if self.flow.kind == "eligibility":
            return {
                "flow": self.flow.id,
                "eligible": self.eligible,
                "unmet": [c.id for c in self.unmet],
                "priority_met": [c.id for c in self.priority_met],
            }
        return {
            "flow": self.flow.id,
            "assessed": self.assessed,
            "total": self.total,
            "grade": self.grade,
            "groups": self.groups or None,
        }


def evaluate(flow: RawFlow, answers: dict[str, Any]) -> FlowResult:
    """The result of a flow whose applicable questions are all answered."""
    if flow.kind == "eligibility":
        unmet, priority = [], []
        for cond in flow.conditions:
            ok = holds(cond.test, answers)
            if ok is None and cond.skip_if_unanswered:
                continue
            if cond.priority:
                if ok:
                    priority.append(cond)
            elif not ok:
                unmet.append(cond)
        return FlowResult(
            flow, answers, eligible=not unmet, unmet=tuple(unmet), priority_met=tuple(priority)
        )
    if not gate_passed(flow, answers):
        failed = tuple(g for g in flow.gate if holds(g.test, answers) is not True)
        return FlowResult(flow, answers, assessed=False, gate_failed=failed)
    return _score(flow, answers)


def _score(flow: RawFlow, answers: dict[str, Any]) -> FlowResult:
    """Group sums, total, band, and each criterion's share of its maximum."""
    groups = {g.id: 0.0 for g in flow.groups}
    scored = []
    for c in flow.criteria:
        points = float(answers.get(SCORE + c.key, 0))
        groups[c.group] += points
        scored.append(Scored(c, points, points / _effective_max(flow, c)))
    total = sum(groups.values())
    band = next(b for b in sorted(flow.bands, key=lambda b: -b.min) if total >= b.min)
    return FlowResult(
        flow,
        answers,
        assessed=True,
        total=_num(total),
        grade=band.grade,
        grade_label=band.label,
        groups={k: _num(v) for k, v in groups.items()},
        scored=tuple(scored),
    )


def _effective_max(flow: RawFlow, c: RawCriterion) -> float:
    """A criterion's maximum; without one, an equal share of what its group leaves."""
    if c.max is not None:
        return c.max
    group = next(g for g in flow.groups if g.id == c.group)
    fixed = sum(x.max or 0 for x in flow.criteria if x.group == c.group and x.max is not None)
    open_count = sum(1 for x in flow.criteria if x.group == c.group and x.max is None)
    return max(1e-9, (group.max - fixed) / open_count)


def _num(value: float) -> float | int:
    """Whole numbers as int, halves as float."""
    return int(value) if value == int(value) else value


def answers_from_json(flow: RawFlow, data: Any) -> dict[str, Any]:
    """Validate a JSON object of answers (``coopbot assess``); InputError names the key."""
    if not isinstance(data, dict):
        raise InputError("answers must be a JSON object")
    flat: dict[str, Any] = {k: v for k, v in data.items() if k != "scores"}
    scores = data.get("scores", {})
    if not isinstance(scores, dict):
        raise InputError("scores: must be an object of criterion: points")
    flat.update({SCORE + str(k): v for k, v in scores.items()})
    known = {q.key for q in questions(flow)}
    for key in flat:
        if key not in known:
            raise InputError(f"{_label(key)}: unknown answer key for flow {flow.id}")
    answers: dict[str, Any] = {}
    while True:
        pending = [q for q in applicable(flow, answers) if q.key not in answers]
        if not pending:
            return answers
        q = pending[0]
        if q.key not in flat:
            raise InputError(f"{_label(q.key)}: missing")
        answers[q.key] = _typed(flow, q, flat[q.key], answers)


def _typed(flow: RawFlow, q: Any, value: Any, answers: dict[str, Any]) -> Any:
    """Check one JSON value against its question."""
    if q.input == "yesno":
        if not isinstance(value, bool):
            raise InputError(f"{_label(q.key)}: must be true or false")
        return value
    if q.input == "choice":
        if value not in {o.value for o in q.options}:
            allowed = ", ".join(o.value for o in q.options)
            raise InputError(f"{_label(q.key)}: must be one of {allowed}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{_label(q.key)}: must be a number")
    limit = group_left(flow, q.group, answers, q.key) if q.group and q.max is None else None
    checked = check_number(q, float(value), limit)
    if isinstance(checked, Invalid):
        top = limit if limit is not None else q.max
        raise InputError(f"{_label(q.key)}: {value} is not allowed ({checked.reason}; max {top})")
    return checked


def _label(key: str) -> str:
    """``score:1a`` → ``scores.1a``."""
    return "scores." + key[len(SCORE) :] if key.startswith(SCORE) else key
