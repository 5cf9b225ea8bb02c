"""Links from answers to the law: buttons that open a cited article (no dialog imports, so
answer rendering can use it)."""

from __future__ import annotations

from coopbot.knowledge.law import LawArticle
from coopbot.knowledge.model import FaqEntry, KnowledgeBase
from coopbot.messages import Button
from coopbot.payloads import Page, PayloadError

KIND = "law"
MAX_CITED = 2  # article buttons under an answer


def page_payload(doc: str, article: str, clause: str | None, page: int) -> str:
    """The packed Page payload of an article page ("" when it cannot be packed)."""
    key = ".".join(x for x in (doc, article, clause) if x)
    try:
        return Page(KIND, key, page).pack()
    except PayloadError:
        return ""


def cited_buttons(entry: FaqEntry, kb: KnowledgeBase) -> tuple[Button, ...]:
    """A button per article an entry cites whose text is stored (at most two)."""
    out: list[Button] = []
    for ref in entry.sources:
        found = kb.law.resolve(ref) if len(kb.law) else None
        if found is None:
            continue
        article = found[0]
        payload = page_payload(article.doc.id, article.number, None, 0)
        if payload and all(b.payload != payload for b in out):
            label = kb.messages("law_button", article=article.number, doc=short_name(article))
            out.append(Button(label, payload))
        if len(out) == MAX_CITED:
            break
    return tuple(out)


def short_name(article: LawArticle) -> str:
    """A short document name for a button ("Luật HTX 2023", "NĐ 92/2024")."""
    doc = article.doc
    if doc.kind == "luật":
        year = doc.number.split("/")[1] if "/" in doc.number else ""
        return f"Luật HTX {year}".strip() if "hợp tác xã" in doc.title.lower() else doc.title
    kinds = {"nghị định": "NĐ", "thông tư": "TT", "quyết định": "QĐ"}
    number = "/".join(doc.number.split("/")[:2])
    return f"{kinds.get(doc.kind, doc.kind)} {number}"
