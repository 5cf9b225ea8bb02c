"""Turn entries and search results into neutral replies (text + buttons)."""

from __future__ import annotations

from collections.abc import Iterable

from coopbot.dialog.law_links import cited_buttons
from coopbot.knowledge.model import FaqEntry, KnowledgeBase, SourceRef
from coopbot.messages import Button, Reply
from coopbot.payloads import OpenEntry, Vote
from coopbot.retrieval import Match

MAX_RELATED = 2
MAX_LINKS = 3  # article and related buttons under an answer (Zalo shows five, votes take two)


def cite(ref: SourceRef, kb: KnowledgeBase) -> str:
    """One citation with the document's status when it is not plainly in force."""
    text = ref.cite()
    if ref.doc.status == "repealed":
        text += " " + kb.messages("source_repealed")
    elif ref.doc.status == "uncertain":
        text += " " + kb.messages("source_uncertain")
    return text


def sources_text(refs: Iterable[SourceRef], kb: KnowledgeBase) -> str:
    """``Nguồn: Điều 4 Luật … 17/2023/QH15`` — several articles of one document are grouped:
    ``Nguồn: Luật … 17/2023/QH15 (Điều 4; Điều 30); Nghị định 92/2024/NĐ-CP (Điều 11).``"""
    by_doc: dict[str, list[SourceRef]] = {}
    for ref in refs:
        same = by_doc.setdefault(ref.doc.id, [])
        if all(r.article != ref.article for r in same):
            same.append(ref)
    parts = []
    for group in by_doc.values():
        articles = [r.article for r in group if r.article]
        if len(articles) <= 1:
            parts.append(cite(group[0] if articles else SourceRef(group[0].doc), kb))
        else:
            whole = cite(SourceRef(group[0].doc), kb)
            parts.append(f"{whole} ({'; '.join(articles)})")
    return kb.messages("source_prefix") + "; ".join(parts) + "."


def source_line(entry: FaqEntry, kb: KnowledgeBase) -> str:
    """The sources of an entry."""
    return sources_text(entry.sources, kb)


def answer_reply(
    entry: FaqEntry, kb: KnowledgeBase, ref: str | None = None, related: bool = True
) -> Reply:
    """A line naming what is answered (the entry's title), the answer, a caveat when the
    content is uncertain, the sources, related buttons and, when the inquiry has a ``ref``,
    👍/👎 buttons that vote on it."""
    parts = [kb.messages("answer_title", title=entry.title) + "\n" + entry.answer.strip()]
    if entry.status == "uncertain":
        parts.append(kb.messages("uncertain_note"))
    parts.append(source_line(entry, kb))
    buttons = cited_buttons(entry, kb)
    if related:
        buttons += tuple(
            Button(rel.title, OpenEntry(rel.id).pack())
            for rel in (kb.entry(r) for r in entry.related[:MAX_RELATED])
            if rel is not None
        )[: MAX_LINKS - len(buttons)]
    if ref is not None:
        buttons += feedback_buttons(kb, ref)
    return Reply("\n\n".join(parts), buttons)


def feedback_buttons(kb: KnowledgeBase, ref: str) -> tuple[Button, ...]:
    """👍/👎 on the inquiry named ``ref``."""
    return (
        Button(kb.messages("feedback_up"), Vote("+", ref).pack()),
        Button(kb.messages("feedback_down"), Vote("-", ref).pack()),
    )


def suggestions_reply(matches: tuple[Match, ...], kb: KnowledgeBase) -> Reply:
    """ "Did you mean" with one button per likely entry."""
    lines = [kb.messages("not_sure")]
    lines += [f"{i}. {m.entry.title}" for i, m in enumerate(matches, 1)]
    lines.append(kb.messages("not_sure_tail"))
    buttons = tuple(Button(m.entry.title, OpenEntry(m.entry.id).pack()) for m in matches)
    return Reply("\n".join(lines), buttons)
