"""Immutable knowledge objects: legal documents, FAQ entries, messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from coopbot.knowledge.audience import Audience
from coopbot.knowledge.flow_schema import RawFlow
from coopbot.text.grammar import Grammar
from coopbot.text.lexicon import Lexicon

if TYPE_CHECKING:
    from coopbot.knowledge.law import LawLibrary


@dataclass(frozen=True, slots=True)
class Document:
    """A legal or planning document from sources.yaml."""

    id: str
    number: str
    title: str
    kind: str
    issuer: str
    status: str
    confidence: str
    issued: date | int | None = None
    effective: date | None = None
    repealed_on: date | None = None
    replaced_by: str | None = None
    replaces: tuple[str, ...] = ()
    amended_by: tuple[str, ...] = ()
    note: str | None = None

    def citation(self) -> str:
        """Short form: ``Luật Hợp tác xã 17/2023/QH15``, ``Nghị định 92/2024/NĐ-CP``."""
        if not (self.number and self.number[0].isdigit()):
            return self.title
        if self.kind == "luật":
            return f"{self.title} {self.number}"
        return f"{self.kind.capitalize()} {self.number}"


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A citation: an article of a document."""

    doc: Document
    article: str = ""

    def cite(self) -> str:
        """``Điều 4 Luật Hợp tác xã 17/2023/QH15``."""
        return f"{self.article} {self.doc.citation()}".strip()


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question-answer pair with its phrasings and sources."""

    id: str
    topic: str
    title: str
    questions: tuple[str, ...]
    answer: str
    sources: tuple[SourceRef, ...]
    status: str = "verified"
    tags: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    file: str = ""


@dataclass(frozen=True)
class Messages:
    """The bot's fixed Vietnamese strings, by key."""

    strings: Mapping[str, str]

    def __call__(self, key: str, **values: object) -> str:
        """The string for ``key`` with placeholders filled."""
        text = self.strings[key]
        return text.format(**values) if values else text


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything loaded from knowledge/, validated."""

    entries: tuple[FaqEntry, ...]
    documents: Mapping[str, Document]
    lexicon: Lexicon
    messages: Messages
    domain_terms: tuple[str, ...] = ()
    smalltalk: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    by_id: Mapping[str, FaqEntry] = field(default_factory=dict)
    flows: Mapping[str, RawFlow] = field(default_factory=dict)
    audience: Audience = field(default_factory=Audience)
    law: LawLibrary = field(default_factory=lambda: _empty_law())  # knowledge/law/
    retired: Mapping[str, str] = field(default_factory=dict)  # merged-away id -> kept id
    grammar: Grammar = field(default_factory=Grammar)  # understanding.yaml: how messages are read

    def entry(self, entry_id: str) -> FaqEntry | None:
        """The entry with this id (a merged-away id finds the entry it went into), or None."""
        found = self.by_id.get(entry_id)
        if found is None and entry_id in self.retired:
            found = self.by_id.get(self.retired[entry_id])
        return found

    def with_phrasings(self, extra: Mapping[str, Sequence[str]]) -> KnowledgeBase:
        """A copy whose entries also carry ``extra`` phrasings (attached by staff);
        unknown entry ids and phrasings an entry already has are skipped."""
        by_id = dict(self.by_id)
        for entry_id, texts in extra.items():
            entry = by_id.get(entry_id)
            if entry is None:
                continue
            known = {q.casefold() for q in entry.questions}
            new = tuple(dict.fromkeys(t for t in texts if t.casefold() not in known))
            if new:
                by_id[entry_id] = replace(entry, questions=(*entry.questions, *new))
        entries = tuple(by_id[e.id] for e in self.entries)
        return replace(self, entries=entries, by_id=by_id)


def _empty_law() -> LawLibrary:
    """An empty law library: a knowledge folder may have no law/."""
    from coopbot.knowledge.law import LawLibrary  # law.py imports this module

    return LawLibrary()
