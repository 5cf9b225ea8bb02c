"""Load knowledge/ into immutable objects; collect every problem as ``file: entry: reason``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from coopbot.errors import KnowledgeError, Problem
from coopbot.knowledge.audience import load_audience
from coopbot.knowledge.checks import cross_checks
from coopbot.knowledge.flow_schema import RawFlow
from coopbot.knowledge.flows import check_flows, load_flows
from coopbot.knowledge.law_loader import check_citations, load_law
from coopbot.knowledge.model import Document, FaqEntry, KnowledgeBase, Messages, SourceRef
from coopbot.knowledge.schema import RawDocument, RawEntry, RawFaqFile, RawLexicon, RawSources
from coopbot.text.grammar import Grammar, grammar
from coopbot.text.lexicon import Lexicon

M = TypeVar("M", bound=BaseModel)
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10x faster


class _Loader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader, refusing a mapping that repeats a key: YAML keeps the last silently,
    so a stray second ``note:`` or ``answer:`` would replace the first unnoticed."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """The mapping, after checking its keys are distinct."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


_LOADER = _Loader
REQUIRED_MESSAGES = (
    "start",
    "start_privacy",
    "help",
    "greeting",
    "thanks",
    "goodbye",
    "empty",
    "too_long",
    "non_text",
    "edited",
    "not_sure",
    "not_sure_tail",
    "out_of_scope",
    "unknown_command",
    "unknown_payload",
    "source_prefix",
    "source_repealed",
    "source_uncertain",
    "uncertain_note",
    "error",
    "erase_confirm",
    "erase_yes",
    "erase_no",
    "erase_done",
    "erase_cancelled",
    "erase_failed",
    "busy",
    "feedback_gone",
    "flow_stale_press",
    "flow_stale_ended",
)
FLOW_MESSAGES = (
    "feedback_up",
    "feedback_down",
    "feedback_thanks",
    "feedback_sorry",
    "flow_question",
    "flow_points",
    "flow_points_open",
    "flow_back_button",
    "flow_cancel_button",
    "yes_label",
    "no_label",
    "flow_cancelled",
    "flow_at_first",
    "flow_expired",
    "flow_reminder",
    "flow_menu",
    "flow_result_title",
    "flow_eligible",
    "flow_not_eligible",
    "flow_priority_met",
    "flow_not_assessed",
    "flow_score",
    "flow_weakest",
    "flow_detail",
)
SUBSCRIBE_MESSAGES = (
    "sub_offer",
    "sub_button",
    "sub_ask_province",
    "sub_ask_topics",
    "sub_all_topics",
    "sub_done_button",
    "sub_done",
    "sub_all_label",
    "sub_status",
    "sub_stopped",
    "sub_not_subscribed",
    "sub_unavailable",
    "broadcast_footer",
    "compose_usage",
    "compose_preview",
    "compose_zalo_note",
    "compose_any",
    "compose_send",
    "compose_tomorrow",
    "compose_cancel",
    "compose_channel",
    "compose_province",
    "compose_topic",
    "compose_pick_province",
    "compose_pick_topic",
    "compose_queued",
    "compose_scheduled",
    "compose_cancelled",
    "compose_status",
    "compose_gone",
)


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> Any:
    """Parse one YAML file; a syntax error becomes a problem."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(_rel(path, root), "-", f"cannot read YAML: {exc}".splitlines()[0]))
        return None


def _rel(path: Path, root: Path) -> str:
    """Path relative to the knowledge root's parent, for messages."""
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _validate(model: type[M], data: Any, file: str, problems: list[Problem]) -> M | None:
    """Validate against a schema; each error becomes ``file: entry: reason``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = err["loc"]
            entry = _entry_label(data, loc)
            field = ".".join(str(p) for p in loc)
            problems.append(Problem(file, entry, f"{field}: {err['msg']}"))
        return None


def _entry_label(data: Any, loc: tuple[int | str, ...]) -> str:
    """Name the entry an error belongs to (its id when it has one)."""
    lists = ("entries", "documents", "steps", "conditions", "gate", "criteria", "groups")
    if len(loc) >= 2 and loc[0] in lists and isinstance(loc[1], int):
        try:
            item = data[loc[0]][loc[1]]
            return str(item.get("id") or item.get("key") or f"{loc[0]}[{loc[1]}]")
        except (KeyError, IndexError, TypeError, AttributeError):
            return f"{loc[0]}[{loc[1]}]"
    if isinstance(data, dict) and data.get("id"):
        return str(data["id"])
    return "-"


def _document(raw: RawDocument) -> Document:
    """Raw document → Document."""
    data = raw.model_dump()
    for key in ("replaces", "amended_by"):
        data[key] = tuple(data[key])
    return Document(**data)


def _entry(raw: RawEntry, topic: str, file: str, docs: dict[str, Document]) -> FaqEntry:
    """Raw entry → FaqEntry (sources already checked)."""
    refs = tuple(SourceRef(docs[s.doc], s.article) for s in raw.sources if s.doc in docs)
    return FaqEntry(
        id=raw.id,
        topic=topic,
        title=raw.title,
        questions=tuple(raw.questions),
        answer=raw.answer.strip(),
        sources=refs,
        status=raw.status,
        tags=tuple(raw.tags),
        related=tuple(raw.related),
        file=file,
    )


def load_documents(root: Path, problems: list[Problem]) -> dict[str, Document]:
    """sources.yaml → documents by id."""
    path = root / "sources.yaml"
    data = _read_yaml(path, root, problems)
    raw = _validate(RawSources, data, _rel(path, root), problems) if data is not None else None
    docs: dict[str, Document] = {}
    for item in raw.documents if raw else []:
        if item.id in docs:
            problems.append(Problem(_rel(path, root), item.id, "duplicate document id"))
        docs[item.id] = _document(item)
    for doc in docs.values():
        for ref in (doc.replaced_by, *doc.replaces, *doc.amended_by):
            if ref and ref not in docs:
                problems.append(Problem(_rel(path, root), doc.id, f"unknown document '{ref}'"))
    return docs


def load_entries(root: Path, docs: dict[str, Document], problems: list[Problem]) -> list[FaqEntry]:
    """faq/*.yaml → entries, checking each source against the registry."""
    entries: list[FaqEntry] = []
    files = sorted((root / "faq").glob("*.yaml"))
    if not files:
        problems.append(Problem(_rel(root / "faq", root), "-", "no FAQ files"))
    for path in files:
        rel = _rel(path, root)
        data = _read_yaml(path, root, problems)
        if data is None:
            continue
        raw = _validate(RawFaqFile, data, rel, problems)
        for item in raw.entries if raw else []:
            for ref in item.sources:
                if ref.doc not in docs:
                    problems.append(Problem(rel, item.id, f"unknown source '{ref.doc}'"))
            entries.append(_entry(item, raw.topic if raw else "", rel, docs))
    return entries


def load_lexicon(root: Path, problems: list[Problem]) -> RawLexicon:
    """lexicon.yaml, validated."""
    path = root / "lexicon.yaml"
    data = _read_yaml(path, root, problems)
    return _validate(RawLexicon, data or {}, _rel(path, root), problems) or RawLexicon()


def load_messages(root: Path, problems: list[Problem]) -> Messages:
    """messages.vi.yaml → Messages; every required key must be there."""
    path = root / "messages.vi.yaml"
    data = _read_yaml(path, root, problems) or {}
    if not isinstance(data, dict):
        problems.append(Problem(_rel(path, root), "-", "must be a mapping of key: text"))
        data = {}
    for key in (*REQUIRED_MESSAGES, *FLOW_MESSAGES, *SUBSCRIBE_MESSAGES):
        if not isinstance(data.get(key), str):
            problems.append(Problem(_rel(path, root), key, "missing message"))
    return Messages({str(k): str(v) for k, v in data.items()})


def check_knowledge(root: Path) -> tuple[KnowledgeBase, list[Problem]]:
    """Load everything and return the base with every problem found (possibly none)."""
    problems: list[Problem] = []
    if not root.is_dir():
        return _empty(), [Problem(str(root), "-", "knowledge folder not found")]
    docs = load_documents(root, problems)
    entries = load_entries(root, docs, problems)
    raw_lex = load_lexicon(root, problems)
    lexicon = Lexicon.from_mapping(
        {**raw_lex.abbreviations, **raw_lex.synonyms},
        raw_lex.stopwords,
        raw_lex.answers.model_dump(),
    )
    messages = load_messages(root, problems)
    problems.extend(cross_checks(entries, lexicon))
    files: dict[str, str] = {}

    def validate_flow(data: Any, rel: str) -> RawFlow | None:
        flow = _validate(RawFlow, data, rel, problems)
        if flow is not None:
            files[flow.id] = rel
        return flow

    flows = load_flows(root, lambda p: _read_yaml(p, root, problems), validate_flow, problems)
    by_id = {e.id: e for e in entries}
    audience_path = root / "audience.yaml"
    audience = load_audience(
        audience_path,
        _rel(audience_path, root),
        lambda p: _read_yaml(p, root, problems),
        lambda model, data, rel: _validate(model, data, rel, problems),
        problems,
    )
    problems.extend(check_flows(flows, docs, by_id, files))
    law = load_law(
        root,
        docs,
        lambda p: _read_yaml(p, root, problems),
        lambda model, data, rel: _validate(model, data, rel, problems),
        lambda p: _rel(p, root),
        problems,
    )
    problems.extend(check_citations(entries, law))
    retired = load_retired(root, by_id, lambda p: _read_yaml(p, root, problems), problems)
    grammar = load_grammar(root, docs, by_id, lambda p: _read_yaml(p, root, problems), problems)
    kb = KnowledgeBase(
        entries=tuple(entries),
        documents=docs,
        lexicon=lexicon,
        messages=messages,
        domain_terms=tuple(raw_lex.domain_terms),
        smalltalk={k: tuple(v) for k, v in raw_lex.smalltalk.items()},
        by_id=by_id,
        flows=flows,
        audience=audience,
        law=law,
        retired=retired,
        grammar=grammar,
    )
    return kb, problems


def load_grammar(
    root: Path,
    docs: dict[str, Document],
    by_id: dict[str, FaqEntry],
    read: Any,
    problems: list[Problem],
) -> Grammar:
    """understanding.yaml: how messages are read (wrapping, questions, types, terms, premises)."""
    path = root / "understanding.yaml"
    if not path.exists():
        return Grammar()
    rel = _rel(path, root)
    data = read(path) or {}
    if not isinstance(data, dict):
        problems.append(Problem(rel, "-", "must be a mapping of sections"))
        return Grammar()
    try:
        built = grammar(data)
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(Problem(rel, "-", f"cannot be read: {exc}"))
        return Grammar()
    for premise in built.premises:
        for doc, _article in premise.sources:
            if doc not in docs:
                problems.append(Problem(rel, premise.id, f"unknown document '{doc}'"))
    for entry_id in built.count_rules:
        if entry_id not in by_id:
            problems.append(Problem(rel, entry_id, "count rule for an unknown entry"))
    for group in built.type_variants:
        for entry_id in group:
            if entry_id not in by_id:
                problems.append(Problem(rel, entry_id, "type variant of an unknown entry"))
    return built


def load_retired(
    root: Path, by_id: dict[str, FaqEntry], read: Any, problems: list[Problem]
) -> dict[str, str]:
    """retired_ids.yaml: ids merged into another entry (old buttons and sets still resolve)."""
    path = root / "retired_ids.yaml"
    if not path.exists():
        return {}
    data = read(path) or {}
    rel = _rel(path, root)
    if not isinstance(data, dict):
        problems.append(Problem(rel, "-", "must be a mapping of old-id: kept-id"))
        return {}
    retired = {str(k): str(v) for k, v in data.items()}
    for old, kept in retired.items():
        if old in by_id:
            problems.append(Problem(rel, old, "a retired id is an entry again"))
        if kept not in by_id:
            problems.append(Problem(rel, old, f"kept entry '{kept}' does not exist"))
    return retired


def load_knowledge(root: Path) -> KnowledgeBase:
    """Load and validate; raise KnowledgeError listing every problem."""
    kb, problems = check_knowledge(root)
    if problems:
        raise KnowledgeError(problems)
    return kb


def _empty() -> KnowledgeBase:
    """An empty base (used only alongside a problem)."""
    return KnowledgeBase((), {}, Lexicon(), Messages({}))
