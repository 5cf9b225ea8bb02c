"""The questionnaire engine: a pure state machine ``advance(state, input) -> (state, replies)``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from coopbot.dialog.flows.evaluate import FlowResult, evaluate
from coopbot.dialog.flows.inputs import Accepted, Confirm, Invalid, fmt_number, read_answer
from coopbot.dialog.flows.questions import (
    Question,
    applicable,
    computed_points,
    gate_passed,
    group_left,
    holds,
)
from coopbot.dialog.flows.render import confirm_reply, prompt_reply, result_replies
from coopbot.knowledge.flow_schema import RawCriterion
from coopbot.knowledge.model import KnowledgeBase
from coopbot.messages import Reply
from coopbot.text.normalize import fold

CONTROL = {
    "back": {"/quaylai", "quay lai", "lui", "lui lai", "tro lai", "back", "flow:back"},
    "restart": {"/lamlai", "lam lai", "bat dau lai", "flow:restart"},
    "cancel": {"/huy", "huy", "thoat", "dung lai", "/thoat", "cancel", "stop", "flow:cancel"},
    "progress": {"/tiendo", "tien do", "flow:progress"},
}


@dataclass(frozen=True)
class FlowState:
    """Where one user is in one flow; JSON-serialisable."""

    flow: str
    answers: dict[str, Any] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    updated: float = 0.0
    run: str = ""  # names this run on its buttons, so a press from an older run is stale
    pending: str = ""  # a bare number typed for the current question, awaiting its unit

    @property
    def step(self) -> int:
        """How many answers were given: the step an answer button of the current question has."""
        return len(self.history)

    def to_json(self) -> dict[str, Any]:
        """For the dialog store."""
        return {
            "flow": self.flow,
            "answers": self.answers,
            "history": list(self.history),
            "updated": self.updated,
            "run": self.run,
            "pending": self.pending,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FlowState:
        """From the dialog store."""
        return cls(
            str(data["flow"]),
            dict(data.get("answers", {})),
            tuple(data.get("history", ())),
            float(data.get("updated", 0.0)),
            str(data.get("run", "")),
            str(data.get("pending", "")),
        )


@dataclass(frozen=True)
class Step:
    """What advancing did: the new state (None when finished or cancelled), replies, result."""

    state: FlowState | None
    replies: tuple[Reply, ...]
    result: FlowResult | None = None
    understood: bool = True  # False: the input was neither an answer nor a control word


def control_word(text: str) -> str | None:
    """``back``, ``restart``, ``cancel``, ``progress`` or None."""
    key = " ".join(fold(text).strip().rstrip(".!").split())
    return next((name for name, words in CONTROL.items() if key in words), None)


def current(kb: KnowledgeBase, state: FlowState) -> tuple[Question | None, int, int]:
    """The question to ask now, its 1-based position and the number of questions."""
    flow = kb.flows[state.flow]
    todo = applicable(flow, state.answers, hopeful=True)
    for i, q in enumerate(todo, 1):
        if q.key not in state.answers:
            if q.criterion is not None and not gate_passed(flow, state.answers):
                break
            if q.ask_if is not None and holds(q.ask_if, state.answers) is not True:
                break  # counted for progress only: what it waits on is unanswered
            return q, i, len(todo)
    return None, len(todo), len(todo)


def ask(kb: KnowledgeBase, state: FlowState, prefix: str = "") -> Step:
    """Ask the current question, or finish with the result when none is left."""
    q, pos, total = current(kb, state)
    flow = kb.flows[state.flow]
    if q is None:
        keys = {x.key for x in applicable(flow, state.answers)}
        result = evaluate(flow, {k: v for k, v in state.answers.items() if k in keys})
        return Step(None, tuple(result_replies(kb, result)), result)
    limit = group_left(flow, q.group, state.answers, q.key) if q.group and q.max is None else None
    return Step(state, (prompt_reply(kb, flow, q, (pos, total), state, limit, prefix),))


def run_id(now: float) -> str:
    """A short name for a run, from its start time (pure: no randomness in the engine)."""
    return format(int(now * 1_000_000) & 0xFFFFFF, "x")


def start(kb: KnowledgeBase, flow_id: str, now: float) -> Step:
    """A new run of a flow: the intro, then the first question."""
    flow = kb.flows[flow_id]
    return ask(kb, FlowState(flow_id, updated=now, run=run_id(now)), prefix=flow.intro.strip())


def advance(kb: KnowledgeBase, state: FlowState, text: str, payload: bool, now: float) -> Step:
    """Apply one input to the state."""
    pending = state.pending
    state = replace(state, updated=now, pending="")
    control = control_word(text)
    if control == "cancel":
        return Step(None, (Reply(kb.messages("flow_cancelled")),))
    if control == "restart":
        return start(kb, state.flow, now)
    if control == "progress":
        return ask(kb, state)
    if control == "back":
        if not state.history:
            return ask(kb, state, prefix=kb.messages("flow_at_first"))
        last = state.history[-1]
        answers = {k: v for k, v in state.answers.items() if k != last}
        return ask(kb, replace(state, answers=answers, history=state.history[:-1]))
    q, _, _ = current(kb, state)
    if q is None:
        return ask(kb, state)
    flow = kb.flows[state.flow]
    limit = group_left(flow, q.group, state.answers, q.key) if q.group and q.max is None else None
    words = kb.lexicon.answers
    if not payload and words.means("menu", text):  # "menu" typed mid-way: say how to see it
        title = kb.flows[state.flow].title
        return ask(kb, state, prefix=kb.messages("flow_menu_in_flow", title=title))
    value = read_answer(q, text, payload, limit, words)
    if pending and not payload and not isinstance(value, Accepted):
        combined = read_answer(q, f"{pending} {text}", payload, limit, words)  # "3" then "năm"
        value = combined if isinstance(combined, Accepted) else value
    if isinstance(value, Invalid):
        step = ask(kb, state, prefix=value.reason)
        return replace(step, understood=False)
    if isinstance(value, Confirm):
        state = replace(state, pending=value.typed)
        return Step(state, (confirm_reply(kb, state, value),))
    answers = {**state.answers, q.key: value.value}
    notes = [kb.messages("flow_recorded", value=value.note)] if value.note else []
    if q.fact is not None and q.criterion is not None:
        notes += _computed_note(kb, q.criterion, state.answers, answers)
    state = replace(state, answers=answers, history=(*state.history, q.key))
    return ask(kb, state, "\n".join(notes))


def _computed_note(
    kb: KnowledgeBase, c: RawCriterion, before: dict[str, Any], after: dict[str, Any]
) -> list[str]:
    """Say the points a fact just computed from an official band, once."""
    points = computed_points(c, after)
    if points is None or computed_points(c, before) is not None:
        return []
    top = fmt_number(c.max) if c.max is not None else "?"
    return [kb.messages("flow_computed", crit=c.key, points=fmt_number(points), max=top)]
