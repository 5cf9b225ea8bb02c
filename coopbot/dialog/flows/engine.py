"""The questionnaire engine: a pure state machine ``advance(state, input) -> (state, replies)``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from coopbot.dialog.flows.evaluate import FlowResult, evaluate
from coopbot.dialog.flows.inputs import Invalid, read_answer
from coopbot.dialog.flows.questions import (
    SCORE,
    Question,
    applicable,
    gate_passed,
    group_left,
)
from coopbot.dialog.flows.render import prompt_reply, result_replies
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
            if q.key.startswith(SCORE) and not gate_passed(flow, state.answers):
                break
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
    state = replace(state, updated=now)
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
    value = read_answer(q, text, payload, limit)
    if isinstance(value, Invalid):
        step = ask(kb, state, prefix=value.reason)
        return replace(step, understood=False)
    answers = {**state.answers, q.key: value}
    return ask(kb, replace(state, answers=answers, history=(*state.history, q.key)))
