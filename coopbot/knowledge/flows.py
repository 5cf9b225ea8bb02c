"""Load knowledge/questionnaires/*.yaml and check their references."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from coopbot.errors import Problem
from coopbot.knowledge.flow_schema import RawFlow, RawRef, RawTest
from coopbot.knowledge.model import Document, FaqEntry

Reader = Callable[[Path], Any]
Validator = Callable[[Any, str], RawFlow | None]


def load_flows(
    root: Path, read: Reader, validate: Validator, problems: list[Problem]
) -> dict[str, RawFlow]:
    """Every questionnaire by id (schema problems are reported by ``validate``)."""
    flows: dict[str, RawFlow] = {}
    for path in sorted((root / "questionnaires").glob("*.yaml")):
        rel = str(path.relative_to(root.parent))
        data = read(path)
        flow = validate(data, rel) if data is not None else None
        if flow is None:
            continue
        if flow.id in flows:
            problems.append(Problem(rel, flow.id, "duplicate questionnaire id"))
        flows[flow.id] = flow
    return flows


def check_flows(
    flows: Mapping[str, RawFlow],
    docs: Mapping[str, Document],
    entries: Mapping[str, FaqEntry],
    files: Mapping[str, str],
) -> list[Problem]:
    """Unknown sources, entries, answer keys and groups; duplicate commands."""
    problems: list[Problem] = []
    commands: dict[str, str] = {}
    for flow in flows.values():
        file = files.get(flow.id, f"knowledge/questionnaires/{flow.id}.yaml")

        def bad(entry: str, reason: str, file: str = file) -> None:
            problems.append(Problem(file, entry, reason))

        if flow.command in commands:
            bad(flow.id, f"command /{flow.command} also used by {commands[flow.command]}")
        commands[flow.command] = flow.id
        keys = {s.key for s in flow.steps}
        refs: list[tuple[str, RawRef]] = [(flow.id, r) for r in flow.sources]
        for cond in (*flow.conditions, *flow.gate):
            refs.append((cond.id, cond.source))
            _check_test(cond.id, cond.test, keys, bad)
            for e in cond.entries:
                if e not in entries:
                    bad(cond.id, f"unknown entry '{e}'")
        for step in flow.steps:
            if step.ask_if is not None:
                _check_test(step.key, step.ask_if, keys, bad)
        groups = {g.id: g.max for g in flow.groups}
        fact_keys: set[str] = set()
        for c in flow.criteria:
            if c.group not in groups:
                bad(c.key, f"unknown group '{c.group}'")
            for f in c.facts:
                if f.key in fact_keys or f.key in keys:
                    bad(c.key, f"fact key '{f.key}' is used twice in the questionnaire")
                fact_keys.add(f.key)
            if c.rubric is not None and c.rubric.source.doc not in docs:
                bad(c.key, f"unknown source '{c.rubric.source.doc}'")
            for e in c.entries:
                if e not in entries:
                    bad(c.key, f"unknown entry '{e}'")
        for gid, gmax in groups.items():
            fixed = sum(c.max or 0 for c in flow.criteria if c.group == gid)
            if fixed > gmax:
                bad(gid, f"criteria maxima add up to {fixed}, more than the group's {gmax}")
        if flow.checklist:
            refs.append(("checklist", flow.checklist.source))
        for entry, ref in refs:
            if ref.doc not in docs:
                bad(entry, f"unknown source '{ref.doc}'")
    return problems


def _check_test(owner: str, test: RawTest, keys: set[str], bad: Callable[[str, str], None]) -> None:
    """A test must refer to asked keys."""
    for key in (test.key, test.times_key):
        if key is not None and key not in keys:
            bad(owner, f"test refers to unknown answer key '{key}'")
