"""Write the phrasings staff attached in the web into knowledge/faq/*.yaml (``kb merge-phrasings``).

ruamel.yaml's round trip keeps comments, key order, quoting and block scalars: loading and
dumping every FAQ file unchanged gives the same bytes (a test checks it), so the only change in
a file is the questions appended to an entry's ``questions:`` list, in the order they were
attached. A phrasing the entry already has (letter case and accents aside) is not written
again, only marked merged.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from coopbot.knowledge.model import KnowledgeBase
from coopbot.storage.curation import Phrasing
from coopbot.text.normalize import fold, normalize


@dataclass
class MergePlan:
    """What a merge adds, per file and entry, and what it only marks merged."""

    # file (as entries name it: relative to the knowledge folder's parent) → entry → texts
    added: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    merged_ids: list[int] = field(default_factory=list)  # written now, or already in the YAML
    present: list[Phrasing] = field(default_factory=list)  # the entry already has it
    unknown: list[Phrasing] = field(default_factory=list)  # no such entry (left pending)

    @property
    def count(self) -> int:
        """Questions to be written."""
        return sum(len(t) for entries in self.added.values() for t in entries.values())


def _key(text: str) -> str:
    """Comparison key: case, accents and spacing ignored."""
    return fold(normalize(text))


def plan_merge(kb: KnowledgeBase, pending: list[Phrasing]) -> MergePlan:
    """Decide where each pending phrasing goes (oldest first, so files grow in attach order)."""
    plan = MergePlan()
    seen: dict[str, set[str]] = {}
    for p in sorted(pending, key=lambda p: p.id):
        entry = kb.entry(p.entry_id)  # a merged-away id finds the entry it went into
        if entry is None or not entry.file:
            plan.unknown.append(p)
            continue
        known = seen.setdefault(entry.id, {_key(q) for q in entry.questions})
        text = " ".join(p.text.split())
        plan.merged_ids.append(p.id)
        if not text or _key(text) in known:
            plan.present.append(p)
            continue
        known.add(_key(text))
        plan.added.setdefault(entry.file, {}).setdefault(entry.id, []).append(text)
    return plan


def _yaml() -> YAML:
    """A round-trip YAML with the layout of knowledge/faq (2-space maps, indented lists)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never re-wrap a long question or answer
    return yaml


def merged_text(source: str, additions: dict[str, list[str]]) -> str:
    """``source`` (a knowledge/faq file) with ``additions`` appended to the entries' questions."""
    yaml = _yaml()
    data: Any = yaml.load(source)
    for item in data.get("entries") or []:
        texts = additions.get(str(item.get("id")))
        if texts:
            item["questions"].extend(texts)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def apply_merge(root: Path, plan: MergePlan) -> dict[Path, str]:
    """Write the plan into the files under ``root``; their previous contents, to undo."""
    before: dict[Path, str] = {}
    for rel, additions in sorted(plan.added.items()):
        path = root.parent / rel
        source = path.read_text(encoding="utf-8")
        before[path] = source
        path.write_text(merged_text(source, additions), encoding="utf-8")
    return before


def undo_merge(before: dict[Path, str]) -> None:
    """Put the files back as they were."""
    for path, source in before.items():
        path.write_text(source, encoding="utf-8")
