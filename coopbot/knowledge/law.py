"""The codified law as immutable records: articles, their clauses, and look-ups by citation."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from coopbot.knowledge.model import Document, SourceRef
from coopbot.text.citations import Aliases, ArticleRef, parse_locator

_POINT = re.compile(r"^([a-zđ])\)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Clause:
    """One numbered clause (khoản) of an article; its points a), b) … stay in ``text``."""

    number: str
    text: str

    @property
    def points(self) -> tuple[str, ...]:
        """Letters of the points the clause lists ("a", "b", "đ" …)."""
        return tuple(_POINT.findall(self.text))

    def render(self) -> str:
        """``1. text`` as printed in the law."""
        return f"{self.number}. {self.text}"


@dataclass(frozen=True, slots=True)
class LawArticle:
    """One article of a codified document, numbered as in the original document."""

    doc: Document
    number: str
    title: str
    code: str
    intro: str = ""
    clauses: tuple[Clause, ...] = ()
    note: str = ""
    related: tuple[str, ...] = ()

    def clause(self, number: str) -> Clause | None:
        """The clause with this number, or None."""
        return next((c for c in self.clauses if c.number == number), None)

    def label(self) -> str:
        """``Điều 30 Luật Hợp tác xã 17/2023/QH15``."""
        return f"Điều {self.number} {self.doc.citation()}"

    def heading(self) -> str:
        """``Điều 30 Luật Hợp tác xã 17/2023/QH15 — Điều kiện trở thành thành viên …``."""
        return f"{self.label()} — {self.title}" if self.title else self.label()

    @property
    def text(self) -> str:
        """The whole article text: intro then clauses, one paragraph per line."""
        parts = [self.intro] if self.intro else []
        parts.extend(c.render() for c in self.clauses)
        return "\n".join(parts)


Located = tuple[LawArticle, Clause | None]


@dataclass(frozen=True)
class LawLibrary:
    """Every codified article by (document id, article number), with document aliases."""

    articles: Mapping[tuple[str, str], LawArticle] = field(default_factory=dict)
    aliases: Aliases = field(default_factory=Aliases)

    @classmethod
    def build(cls, articles: Iterable[LawArticle], aliases: Aliases) -> LawLibrary:
        """A library over ``articles`` (first one wins on a duplicate key)."""
        table: dict[tuple[str, str], LawArticle] = {}
        for article in articles:
            table.setdefault((article.doc.id, article.number), article)
        return cls(table, aliases)

    def __len__(self) -> int:
        """Number of articles."""
        return len(self.articles)

    def __iter__(self) -> Iterator[LawArticle]:
        """Articles in document order, then article order."""
        return iter(self.articles.values())

    @property
    def documents(self) -> frozenset[str]:
        """Ids of the documents whose text is stored."""
        return frozenset(doc for doc, _ in self.articles)

    def article(self, doc_id: str, number: str) -> LawArticle | None:
        """The article ``number`` ("30", "12a") of document ``doc_id``, or None."""
        return self.articles.get((doc_id, number.strip().lower()))

    def locate(self, doc_id: str, number: str, clause: str | None = None) -> Located | None:
        """The article and, when ``clause`` is given and exists, that clause."""
        article = self.article(doc_id, number)
        if article is None:
            return None
        return article, article.clause(clause) if clause else None

    def find(self, ref: ArticleRef) -> Located | None:
        """A reference parsed from a user's text; None when it names no stored document."""
        return self.locate(ref.doc, ref.article, ref.clause) if ref.doc else None

    def resolve(self, ref: SourceRef) -> Located | None:
        """An FAQ citation (``Điều 4 khoản 7`` of ``luat-htx-2023``) → its first article and
        clause; the clause is None when none is named or the article has no such clause."""
        locators = parse_locator(ref.article)
        if not locators:
            return None
        first = locators[0]
        return self.locate(ref.doc.id, first.article, first.clauses[0] if first.clauses else None)
