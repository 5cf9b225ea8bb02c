"""Turn entries and search results into neutral replies (text + buttons)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from coopbot.dialog.law_links import cited_buttons
from coopbot.knowledge.model import Document, FaqEntry, KnowledgeBase, SourceRef
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
    """``Nguồn: Điều 4 Luật … 17/2023/QH15`` — several articles of one document are grouped,
    listed once and in order: ``Nguồn: Luật … 17/2023/QH15 (Điều 4; Điều 30); Nghị định …``.
    "Điều 4, Điều 30" and "Điều 4; Điều 30" are two articles; "Điều 4" covers "Điều 4 khoản 7";
    a part that is not an article ("Toàn văn", "Quy định về …") follows the document."""
    structural = ("điều ", "khoản ", "điểm ", "chương ", "mục ", "phụ lục ", "phần ")

    def split(article: str) -> list[str]:
        out = []
        for piece in (x.strip() for x in article.split(";") if x.strip()):
            parts = [p.strip() for p in piece.split(",")]
            structured = len(parts) > 1 and all(p.lower().startswith(structural) for p in parts)
            out += parts if structured else [piece]
        return out

    def order(part: str) -> tuple[int, float]:
        words = part.split()
        if words[0].lower() == "điều" and len(words) > 1 and words[1].isdigit():
            return (0, float(words[1]))
        return (1, 0.0)

    docs: dict[str, Document] = {}
    by_doc: dict[str, list[str]] = {}
    for ref in refs:
        docs.setdefault(ref.doc.id, ref.doc)
        parts = by_doc.setdefault(ref.doc.id, [])
        for part in split(ref.article):
            if part not in parts:
                parts.append(part)
    out = []
    for doc_id, parts in by_doc.items():
        kept = [p for p in parts if not any(p.startswith(o + " ") for o in parts if o != p)]
        kept.sort(key=order)  # stable: parts that are not numbered articles keep their order
        whole = cite(SourceRef(docs[doc_id]), kb)
        if not kept:
            out.append(whole)
        elif len(kept) == 1 and kept[0].lower().startswith(structural):
            out.append(cite(SourceRef(docs[doc_id], kept[0]), kb))
        else:
            name = docs[doc_id].citation()
            inner = "; ".join(re.sub(r"\s*\(([^()]*)\)", r", \1", p) for p in kept)
            out.append(whole.replace(name, f"{name} ({inner})", 1))
    return kb.messages("source_prefix") + "; ".join(out) + "."


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
