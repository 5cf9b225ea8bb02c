"""Questions and results as neutral replies: short enough for a phone, buttons where useful."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coopbot.dialog.flows.evaluate import FlowResult
from coopbot.dialog.flows.inputs import fmt_number
from coopbot.dialog.flows.questions import Question
from coopbot.dialog.render import sources_text
from coopbot.knowledge.flow_schema import RawFlow, RawRef
from coopbot.knowledge.model import KnowledgeBase, SourceRef
from coopbot.messages import Button, Reply
from coopbot.payloads import Answer, FlowControl, OpenEntry

if TYPE_CHECKING:
    from coopbot.dialog.flows.engine import FlowState

MAX_POINT_BUTTONS = 10


def _fmt(value: float | None) -> str:
    """A number as Vietnamese write it, "?" when unknown."""
    return "?" if value is None else fmt_number(value)


def prompt_reply(
    kb: KnowledgeBase,
    flow: RawFlow,
    q: Question,
    where: tuple[int, int],
    state: FlowState,
    limit: float | None,
    prefix: str = "",
) -> Reply:
    """``Câu 5/17: …`` with answer buttons (tied to this run and step), back and stop."""
    say = kb.messages
    pos, total = where
    lines = [prefix, ""] if prefix else []
    lines.append(say("flow_question", pos=pos, total=total, prompt=q.prompt.strip()))
    top = limit if limit is not None else q.max
    if q.input == "points":
        key = "flow_points_open" if limit is not None else "flow_points"
        lines.append(say(key, max=_fmt(top)))
    if q.help:
        lines.append(q.help.strip())
    buttons = [
        Button(label, Answer(state.run, state.step, value).pack())
        for label, value in _answer_options(kb, q, top)
    ]
    if pos > 1:
        buttons.append(Button(say("flow_back_button"), FlowControl("back", state.run).pack()))
    buttons.append(Button(say("flow_cancel_button"), FlowControl("cancel", state.run).pack()))
    return Reply("\n".join(lines), tuple(buttons))


def _answer_options(kb: KnowledgeBase, q: Question, top: float | None) -> list[tuple[str, str]]:
    """(label, value) of yes/no, the options, or whole points when there are few."""
    if q.input == "yesno":
        return [(kb.messages("yes_label"), "yes"), (kb.messages("no_label"), "no")]
    if q.input == "choice":
        return [(o.label, o.value) for o in q.options]
    if q.input == "points" and top is not None and top <= MAX_POINT_BUTTONS:
        return [(str(p), str(p)) for p in range(int(top) + 1)]
    return []


def _sources(kb: KnowledgeBase, refs: list[RawRef]) -> str:
    """``Nguồn: …`` from raw references."""
    return sources_text((SourceRef(kb.documents[r.doc], r.article) for r in refs), kb)


def _entry_buttons(kb: KnowledgeBase, ids: list[str]) -> tuple[Button, ...]:
    """Up to three knowledge-base entries as buttons."""
    entries = [kb.by_id[i] for i in dict.fromkeys(ids) if i in kb.by_id]
    return tuple(Button(e.title, OpenEntry(e.id).pack()) for e in entries[:3])


def result_replies(kb: KnowledgeBase, result: FlowResult) -> list[Reply]:
    """The result: verdict, what is missing or weakest with advice, sources, disclaimer."""
    if result.flow.kind == "eligibility":
        return _eligibility(kb, result)
    return _scoring(kb, result)


def _eligibility(kb: KnowledgeBase, r: FlowResult) -> list[Reply]:
    """Eligible or the list of unmet conditions, priorities met, the checklist."""
    say, flow = kb.messages, r.flow
    lines = [say("flow_result_title", title=flow.title)]
    if r.eligible:
        lines.append(say("flow_eligible"))
    else:
        lines.append(say("flow_not_eligible", count=len(r.unmet)))
        lines += [f"• {c.label}" + (f" — {c.advice.strip()}" if c.advice else "") for c in r.unmet]
    if r.priority_met:
        lines.append(say("flow_priority_met") + " " + "; ".join(c.label for c in r.priority_met))
    replies = [Reply("\n".join(lines), _entry_buttons(kb, [e for c in r.unmet for e in c.entries]))]
    tail = []
    if flow.checklist and r.eligible is not None:
        tail.append(flow.checklist.title)
        tail += [f"{i}. {item}" for i, item in enumerate(flow.checklist.items, 1)]
        tail.append("")
    refs = [c.source for c in r.unmet] + list(flow.sources)
    if flow.checklist:
        refs.append(flow.checklist.source)
    tail += [_sources(kb, refs), flow.disclaimer.strip()]
    replies.append(Reply("\n".join(tail)))
    return replies


def _scoring(kb: KnowledgeBase, r: FlowResult) -> list[Reply]:
    """Total and grade, groups, the three weakest criteria with advice, details, disclaimer."""
    say, flow = kb.messages, r.flow
    if not r.assessed:
        lines = [say("flow_not_assessed")] + [f"• {g.label}" for g in r.gate_failed]
        lines += [
            "",
            _sources(kb, [g.source for g in r.gate_failed] + list(flow.sources)),
            flow.disclaimer.strip(),
        ]
        return [Reply("\n".join(lines))]
    groups = "; ".join(f"Nhóm {g.id}: {_fmt(r.groups[g.id])}/{_fmt(g.max)}" for g in flow.groups)
    lines = [
        say("flow_score", total=_fmt(r.total), grade=r.grade_label),
        groups,
        "",
        say("flow_weakest"),
    ]
    weakest = r.weakest()
    for s in weakest:
        top = _fmt(s.criterion.max) if s.criterion.max is not None else "?"
        lines.append(
            f"• {s.criterion.key}. {s.criterion.title} ({_fmt(s.points)}/{top}): "
            f"{s.criterion.advice.strip()}"
        )
    buttons = _entry_buttons(kb, [e for s in weakest for e in s.criterion.entries])
    detail = [say("flow_detail")]
    detail.append(", ".join(f"{s.criterion.key}: {_fmt(s.points)}" for s in r.scored))
    notes = [g.note.strip() for g in flow.groups if g.note]
    detail += ["", *notes, _sources(kb, list(flow.sources)), flow.disclaimer.strip()]
    return [Reply("\n".join(lines), buttons), Reply("\n".join(x for x in detail if x is not None))]
