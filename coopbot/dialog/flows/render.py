"""Questions and results as neutral replies: short enough for a phone, buttons where useful."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from coopbot.dialog.flows.evaluate import FlowResult, Scored
from coopbot.dialog.flows.inputs import SKIP, Confirm, fmt_money, fmt_number
from coopbot.dialog.flows.questions import FACT, Question, fact_label
from coopbot.dialog.render import sources_text
from coopbot.knowledge.flow_schema import RawCriterion, RawFact, RawFlow, RawRef
from coopbot.knowledge.model import KnowledgeBase, SourceRef
from coopbot.messages import Button, Reply
from coopbot.payloads import Answer, FlowControl, OpenEntry
from coopbot.text.normalize import fold

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
    if q.input == "points" and q.criterion is not None:
        lines += _guidance(kb, q.criterion, state.answers)
    if q.input == "points":
        key = "flow_points_open" if limit is not None else "flow_points"
        lines.append(say(key, max=_fmt(top)))
    if q.fact is not None:
        lines.append(say("flow_fact_hint"))
    if q.help:
        lines.append(q.help.strip())
    options = _answer_options(kb, q, top)
    if q.fact is not None:
        options.append((say("flow_skip_button"), SKIP))
    return Reply("\n".join(lines), _with_controls(kb, state, options, pos > 1))


def _with_controls(
    kb: KnowledgeBase, state: FlowState, options: list[tuple[str, str]], back: bool
) -> tuple[Button, ...]:
    """Answer buttons tied to this run and step, then back (not on the first question) and stop."""
    say = kb.messages
    buttons = [
        Button(label, Answer(state.run, state.step, value).pack()) for label, value in options
    ]
    if back:
        buttons.append(Button(say("flow_back_button"), FlowControl("back", state.run).pack()))
    buttons.append(Button(say("flow_cancel_button"), FlowControl("cancel", state.run).pack()))
    return tuple(buttons)


def confirm_reply(kb: KnowledgeBase, state: FlowState, confirm: Confirm) -> Reply:
    """ "“3”: là 3 năm hay 3 tháng?" with one button per reading."""
    labels = [label for label, _ in confirm.options]
    if len(labels) == 1:
        text = kb.messages("flow_confirm_one", typed=confirm.typed, first=labels[0])
    else:
        text = kb.messages("flow_confirm_two", typed=confirm.typed, options=" hay ".join(labels))
    return Reply(text, _with_controls(kb, state, list(confirm.options), bool(state.history)))


def _guidance(kb: KnowledgeBase, c: RawCriterion, answers: dict[str, Any]) -> list[str]:
    """What earns the points (official or not, said plainly), and the facts the member gave."""
    say = kb.messages
    lines = []
    if c.rubric is not None:
        key = "flow_rubric_official" if c.rubric.found else "flow_rubric"
        lines.append(say(key, text=c.rubric.text.strip()))
    official = c.rubric is not None and c.rubric.found
    if c.facts and not any(f.bands for f in c.facts):
        hints = "; ".join(fact_label(f) for f in c.facts)
        lines.append(say("flow_fact_consider", facts=hints))
    for f in c.facts:
        value = answers.get(FACT + f.key)
        if value is None:
            continue
        shown = fact_value(kb, f, value)
        hint = f.rule.strip() if official else _beyond_missing(f.rule)
        key = "flow_fact_given" if hint else "flow_fact_given_bare"
        lines.append(say(key, label=fact_label(f), value=shown, rule=hint))
    return lines


def _beyond_missing(rule: str) -> str:
    """What a fact's rule adds once the rubric has said no official rule was found: "Chưa có
    quy tắc chính thức; bị xử phạt thì nên chấm thấp" → "bị xử phạt thì nên chấm thấp"."""
    text = rule.strip()
    if not fold(text).startswith("chua co"):
        return text
    cut = min((i for i in (text.find(";"), text.find(".")) if i >= 0), default=len(text))
    return text[cut + 1 :].strip()


def fact_value(kb: KnowledgeBase, f: RawFact, value: Any) -> str:
    """A fact's answer as the member would say it: "800 triệu đồng", "60%", "Có"."""
    if isinstance(value, bool):
        return kb.messages("yes_label" if value else "no_label")
    if f.unit == "million_vnd":
        return fmt_money(Decimal(str(value)) * 1_000_000)
    if f.unit == "percent":
        return f"{fmt_number(value)}%"
    return fmt_number(value) if isinstance(value, int | float) else str(value)


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
    """Total and grade, groups, the criteria that lost most with advice, facts, details."""
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
    lines = [say("flow_score", total=_fmt(r.total), grade=r.grade_label), groups, ""]
    weakest = r.weakest()
    if weakest:
        key = "flow_weakest" if len(weakest) > 1 else "flow_weakest_one"
        lines.append(say(key, count=len(weakest)))
    else:
        lines.append(say("flow_weakest_none"))
    for s in weakest:
        lines.append(
            f"• {s.criterion.key}. {s.criterion.title} {_loss(kb, s)}: {s.criterion.advice.strip()}"
        )
    buttons = _entry_buttons(kb, [e for s in weakest for e in s.criterion.entries])
    detail = [say("flow_detail")]
    detail.append(", ".join(f"{s.criterion.key}: {_fmt(s.points)}" for s in r.scored))
    facts = _fact_lines(kb, r)
    if facts:
        detail += ["", say("flow_facts_title"), *facts]
    notes = [g.note.strip() for g in flow.groups if g.note]
    official = [s.criterion.rubric.source for s in r.scored if s.computed and s.criterion.rubric]
    refs = list(flow.sources) + official
    detail += ["", *notes, _sources(kb, refs), flow.disclaimer.strip()]
    return [Reply("\n".join(lines), buttons), Reply("\n".join(detail))]


def _loss(kb: KnowledgeBase, s: Scored) -> str:
    """ "(1/8, mất 7 điểm)", or without a verified maximum "(3 điểm; …)"."""
    if s.criterion.max is None:
        return kb.messages("flow_lost_open", got=_fmt(s.points))
    return kb.messages(
        "flow_lost", got=_fmt(s.points), max=_fmt(s.criterion.max), lost=_fmt(s.lost)
    )


def _fact_lines(kb: KnowledgeBase, r: FlowResult) -> list[str]:
    """Each fact given, next to the criterion's points: computed by an official band, or
    self-scored (no official band exists, so no points are derived from the fact)."""
    say, out, self_scored = kb.messages, [], False
    for s in r.scored:
        c = s.criterion
        given = [(f, r.answers.get(FACT + f.key)) for f in c.facts]
        facts = "; ".join(
            f"{fact_label(f)}: {fact_value(kb, f, v)}" for f, v in given if v is not None
        )
        if not facts:
            continue
        top = _fmt(c.max) if c.max is not None else "?"
        key = "flow_fact_computed" if s.computed else "flow_fact_self"
        self_scored = self_scored or not s.computed
        out.append(say(key, crit=c.key, facts=facts, points=_fmt(s.points), max=top))
    if out and self_scored:
        out.append(say("flow_facts_self_note"))
    return out
