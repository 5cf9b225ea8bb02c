"""Load knowledge/law/ (one file per codified document, plus aliases.yaml) and check it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from coopbot.errors import Problem
from coopbot.knowledge.law import Clause, LawArticle, LawLibrary
from coopbot.knowledge.model import Document, FaqEntry
from coopbot.text.citations import Aliases, parse_locator
from coopbot.text.normalize import fold

ALIASES_FILE = "aliases.yaml"
Read = Callable[[Path], Any]
Validate = Callable[[type[BaseModel], Any, str], BaseModel | None]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RawClause(_Strict):
    """One clause of an article file."""

    number: str = Field(pattern=r"^\d+$")
    text: str


class RawLawArticle(_Strict):
    """One article record written by tools/build_law.py."""

    number: str = Field(pattern=r"^\d+[a-z]?$")
    title: str = ""
    code: str
    note: str = ""
    intro: str = ""
    clauses: list[RawClause] = []
    related: list[str] = []


class RawLawFile(_Strict):
    """knowledge/law/<doc-id>.yaml."""

    doc: str
    number: str
    articles: list[RawLawArticle]


class RawAliases(_Strict):
    """knowledge/law/aliases.yaml: doc id → phrases."""

    aliases: dict[str, list[str]]


def load_law(
    root: Path,
    docs: Mapping[str, Document],
    read: Read,
    validate: Validate,
    rel: Callable[[Path], str],
    problems: list[Problem],
) -> LawLibrary:
    """knowledge/law/ → a library; an absent folder is an empty library, not a problem."""
    folder = root / "law"
    if not folder.is_dir():
        return LawLibrary()
    alias_map = _load_aliases(folder / ALIASES_FILE, docs, read, validate, rel, problems)
    articles: list[LawArticle] = []
    seen: dict[tuple[str, str], str] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == ALIASES_FILE:
            continue
        data = read(path)
        raw = validate(RawLawFile, data, rel(path)) if data is not None else None
        if isinstance(raw, RawLawFile):
            articles.extend(_articles(raw, path, docs, seen, rel(path), problems))
    library = LawLibrary.build(articles, Aliases.from_mapping(alias_map))
    for doc_id in sorted(library.documents - set(alias_map)):
        problems.append(
            Problem(rel(folder / ALIASES_FILE), doc_id, "codified document has no alias")
        )
    return library


def _load_aliases(
    path: Path,
    docs: Mapping[str, Document],
    read: Read,
    validate: Validate,
    rel: Callable[[Path], str],
    problems: list[Problem],
) -> dict[str, list[str]]:
    """aliases.yaml, checked: known documents, no phrase naming two documents."""
    if not path.exists():
        return {}
    raw = validate(RawAliases, {"aliases": read(path) or {}}, rel(path))
    if not isinstance(raw, RawAliases):
        return {}
    for doc_id in raw.aliases:
        if doc_id not in docs:
            problems.append(Problem(rel(path), doc_id, f"unknown document '{doc_id}'"))
    for phrase, owners in Aliases.conflicts(raw.aliases):
        reason = f"alias '{phrase}' names more than one document"
        problems.append(Problem(rel(path), ", ".join(owners), reason))
    return {k: v for k, v in raw.aliases.items() if k in docs}


def _articles(
    raw: RawLawFile,
    path: Path,
    docs: Mapping[str, Document],
    seen: dict[tuple[str, str], str],
    file: str,
    problems: list[Problem],
) -> Iterable[LawArticle]:
    """Records of one file, with problems for an unknown document, duplicates, empty text."""
    doc = docs.get(raw.doc)
    if doc is None:
        problems.append(Problem(file, raw.doc, f"unknown document '{raw.doc}'"))
        return []
    if path.stem != raw.doc:
        problems.append(Problem(file, raw.doc, f"file must be named {raw.doc}.yaml"))
    if _number_key(raw.number) != _number_key(doc.number):
        problems.append(Problem(file, raw.doc, f"number {raw.number} is not {doc.number}"))
    out = []
    for item in raw.articles:
        label = f"Điều {item.number}"
        key = (raw.doc, item.number)
        if key in seen:
            problems.append(Problem(file, label, f"duplicate article (also in {seen[key]})"))
            continue
        seen[key] = file
        if not item.intro.strip() and not any(c.text.strip() for c in item.clauses):
            problems.append(Problem(file, label, "empty text"))
        for c in item.clauses:
            if not c.text.strip():
                problems.append(Problem(file, label, f"clause {c.number} has empty text"))
        out.append(_article(item, doc))
    return out


def _article(raw: RawLawArticle, doc: Document) -> LawArticle:
    """Raw record → LawArticle."""
    return LawArticle(
        doc=doc,
        number=raw.number,
        title=raw.title,
        code=raw.code,
        intro=raw.intro,
        clauses=tuple(Clause(c.number, c.text) for c in raw.clauses),
        note=raw.note,
        related=tuple(raw.related),
    )


def _number_key(number: str) -> str:
    """Document numbers compared without case or accents (``QĐ-TTG`` = ``QĐ-TTg``)."""
    return fold(number)


def check_citations(entries: Iterable[FaqEntry], library: LawLibrary) -> list[Problem]:
    """FAQ sources that cite an article, clause or point missing from a codified document."""
    problems = []
    for entry in entries:
        for ref in entry.sources:
            if ref.doc.id not in library.documents:
                continue
            for loc in parse_locator(ref.article):
                reason = _missing(library, ref.doc.id, loc.article, loc.clauses, loc.points)
                if reason:
                    where = f"source '{ref.article}' of {ref.doc.id}"
                    problems.append(Problem(entry.file, entry.id, f"{where}: {reason}"))
    return problems


def _missing(
    library: LawLibrary,
    doc_id: str,
    number: str,
    clauses: tuple[str, ...],
    points: tuple[str, ...],
) -> str:
    """Why a cited article / clause / point is not in the law records ("" when it is)."""
    article = library.article(doc_id, number)
    if article is None:
        return f"no Điều {number} in knowledge/law/{doc_id}.yaml"
    for number_ in clauses:
        clause = article.clause(number_)
        if clause is None:
            return f"Điều {number} has no khoản {number_}"
        missing = [p for p in points if p not in clause.points]
        if missing and len(clauses) == 1:
            return f"Điều {number} khoản {number_} has no điểm {', '.join(missing)}"
    return ""
