"""Turn a complete set of answers into a result; validate answers given all at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coopbot.dialog.flows.inputs import MAX_TEXT, Invalid, check_number
from coopbot.dialog.flows.questions import (
    FACT,
    SCORE,
    Question,
    applicable,
    computed_points,
    fact_question,
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
    top: float = 0.0  # the (effective) maximum: an equal share of the group when unverified
    computed: bool = False  # points from official bands on the facts, not self-scored
    lost: float = 0.0  # points short of the maximum (of what the group lacks, when unverified)


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
        """Up to ``n`` criteria that lost the most points (max − given); ties go to the larger
        share lost, then to the criterion asked first. A criterion that lost nothing is left out."""
        lost = [(i, s) for i, s in enumerate(self.scored) if s.lost > 1e-9]
        lost.sort(key=lambda item: (-round(item[1].lost, 6), item[1].ratio, item[0]))
        return [s for _, s in lost[:n]]

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
    given: list[tuple[RawCriterion, float, bool]] = []
    for c in flow.criteria:
        computed = computed_points(c, answers) if SCORE + c.key not in answers else None
        points = computed if computed is not None else float(answers.get(SCORE + c.key, 0))
        groups[c.group] += points
        given.append((c, points, computed is not None))
    short = {g.id: max(0.0, g.max - groups[g.id]) for g in flow.groups}
    for c, points, computed in given:
        top = _effective_max(flow, c)
        lost = max(0.0, top - points)
        if c.max is None:  # an equal share is a guess: never more than the group lacks
            lost = min(lost, short[c.group])
        scored.append(Scored(c, points, points / top, top, computed, lost))
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
    flat: dict[str, Any] = {k: v for k, v in data.items() if k not in ("scores", "facts")}
    for name, prefix in (("scores", SCORE), ("facts", FACT)):
        given = data.get(name, {})
        if not isinstance(given, dict):
            raise InputError(f"{name}: must be an object of key: value")
        flat.update({prefix + str(k): v for k, v in given.items()})
    known = {q.key for q in questions(flow)}
    # facts without official bands are not asked in chat, but may still be given here
    unasked = {
        FACT + f.key: fact_question(c, f)
        for c in flow.criteria
        for f in c.facts
        if FACT + f.key not in known
    }
    for key in flat:
        if key not in known and key not in unasked:
            raise InputError(f"{_label(key)}: unknown answer key for flow {flow.id}")
    answers: dict[str, Any] = {}
    while True:
        pending = [q for q in applicable(flow, answers) if q.key not in answers]
        if not pending:
            extra = {k: _typed(flow, q, flat[k], answers) for k, q in unasked.items() if k in flat}
            return {**answers, **extra}
        q = pending[0]
        if q.key not in flat and q.fact is not None:
            answers[q.key] = None  # facts are optional: not given is skipped
            continue
        if q.key not in flat:
            raise InputError(f"{_label(q.key)}: missing")
        answers[q.key] = _typed(flow, q, flat[q.key], answers)


def _typed(flow: RawFlow, q: Question, value: Any, answers: dict[str, Any]) -> Any:
    """Check one JSON value against its question."""
    if q.fact is not None and value is None:
        return None
    if q.input == "text":
        if not isinstance(value, str):
            raise InputError(f"{_label(q.key)}: must be text")
        return value[:MAX_TEXT]
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
    """``score:1a`` → ``scores.1a``, ``fact:doanh_thu`` → ``facts.doanh_thu``."""
    for prefix, name in ((SCORE, "scores."), (FACT, "facts.")):
        if key.startswith(prefix):
            return name + key[len(prefix) :]
    return key
