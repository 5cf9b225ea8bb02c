"""The law at hand: article look-up by number ("Điều 30 Luật HTX", "nd 92 dieu 17"), pages of
an article with "Xem tiếp", buttons for the articles an answer cites, and articles offered as
a labelled fallback when no curated answer is confident — always as law text, never dressed up
as a curated answer."""

from __future__ import annotations

from dataclasses import dataclass

from coopbot.dialog.law_links import KIND, page_payload, short_name
from coopbot.dialog.turn import Outcome
from coopbot.knowledge.law import Clause, LawArticle
from coopbot.knowledge.law_text import PageLabels, article_pages
from coopbot.knowledge.model import KnowledgeBase
from coopbot.messages import Button, Reply
from coopbot.payloads import Page
from coopbot.retrieval.law_index import LawHit, LawIndex
from coopbot.text.citations import ArticleRef, parse_reference

PAGE_LIMIT = 900  # characters of one page (a phone screen or two)
MAX_OFFERED = 3  # articles offered as a fallback
LOOKUP_WORDS = 8  # a message this short around a reference is a look-up


@dataclass(frozen=True)
class LawDesk:
    """Looks articles up and pages them; built once per knowledge base."""

    kb: KnowledgeBase
    index: LawIndex
    fallback_floor: float = 0.2  # normalised score an article needs to be offered

    @classmethod
    def build(cls, kb: KnowledgeBase) -> LawDesk:
        """The desk with its article index."""
        return cls(kb, LawIndex(kb.law, kb.lexicon))

    def reference(self, text: str) -> ArticleRef | None:
        """The article a message asks to read, if it is a look-up rather than a question."""
        if not len(self.kb.law):
            return None
        ref = parse_reference(text, self.kb.law.aliases)
        if ref is None:
            return None
        words = self.kb.grammar.words(text)
        short = len(words) <= LOOKUP_WORDS + 4
        return ref if short or self.kb.grammar.reads.find(words) else None

    def lookup(self, ref: ArticleRef) -> Outcome:
        """Page 1 of the article (or clause), or which document, or why it is not here."""
        say = self.kb.messages
        if ref.doc is None:
            docs = [d for d in sorted(self.kb.law.documents) if self.kb.law.article(d, ref.article)]
            if not docs:
                return _say(say("law_missing_any", article=ref.article), "law")
            buttons = tuple(
                Button(self.kb.documents[d].citation()[:60], self._payload(d, ref.article, None, 0))
                for d in docs[:4]
            )
            return Outcome((Reply(say("law_which_doc", article=ref.article), buttons),), "law")
        found = self.kb.law.locate(ref.doc, ref.article, ref.clause)
        doc = self.kb.documents.get(ref.doc)
        name = doc.citation() if doc else ref.doc
        if ref.doc not in self.kb.law.documents:
            return _say(say("law_not_stored", doc=name), "law")
        if found is None:
            return _say(say("law_missing", article=ref.article, doc=name), "law")
        article, clause = found
        return Outcome((self._page(article, clause, 0),), "law", entry_id=None, confident=True)

    def press(self, press: Page) -> Outcome | None:
        """A "Xem tiếp" or article button."""
        parts = press.key.split(".")
        if press.kind != KIND or len(parts) not in (2, 3):
            return None
        found = self.kb.law.locate(parts[0], parts[1], parts[2] if len(parts) == 3 else None)
        if found is None:
            return None
        return Outcome((self._page(found[0], found[1], press.page),), "law", confident=True)

    def _page(self, article: LawArticle, clause: Clause | None, page: int) -> Reply:
        """Page ``page`` of the article, with "Xem tiếp" when more follow."""
        labels = PageLabels.from_messages(self.kb.messages)
        pages = article_pages(
            article, clause, PAGE_LIMIT, registry=self.kb.documents, labels=labels
        )
        page = min(max(page, 0), len(pages) - 1)
        text = pages[page]
        if len(pages) > 1:
            text += "\n" + self.kb.messages("law_page", page=page + 1, pages=len(pages))
        buttons: tuple[Button, ...] = ()
        if page + 1 < len(pages):
            number = clause.number if clause else None
            more = self._payload(article.doc.id, article.number, number, page + 1)
            buttons = (Button(self.kb.messages("law_more"), more),)
        return Reply(text, buttons)

    def offered(self, text: str) -> tuple[LawHit, ...]:
        """Articles that match a question well enough to offer (law text, labelled so)."""
        hits = self.index.search(text, MAX_OFFERED) if len(self.kb.law) else ()
        return tuple(h for h in hits if h.normalised >= self.fallback_floor)

    def offer_buttons(self, hits: tuple[LawHit, ...]) -> tuple[Button, ...]:
        """One button per offered article."""
        return tuple(
            Button(
                self.kb.messages("law_button", article=h.article.number, doc=short_name(h.article)),
                self._payload(h.article.doc.id, h.article.number, None, 0),
            )
            for h in hits
        )

    @staticmethod
    def _payload(doc: str, article: str, clause: str | None, page: int) -> str:
        """The packed Page payload ("" when it cannot be packed)."""
        return page_payload(doc, article, clause, page)


def _say(text: str, kind: str) -> Outcome:
    """One plain reply."""
    return Outcome((Reply(text),), kind)
