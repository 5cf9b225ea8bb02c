"""Checks across entries: duplicate ids, broken links, near-duplicate questions, bare yes/no
openings, and `verified` entries resting on secondary documents."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict

from rapidfuzz import fuzz

from coopbot.errors import Problem
from coopbot.knowledge.model import FaqEntry
from coopbot.text.lexicon import Lexicon

NEAR_DUPLICATE = 95.0  # rapidfuzz ratio on analysed text, 0-100


def cross_checks(entries: list[FaqEntry], lexicon: Lexicon) -> list[Problem]:
    """Every cross-entry problem."""
    return [
        *_duplicate_ids(entries),
        *_broken_related(entries),
        *_near_duplicates(entries, lexicon),
        *_bare_yes_no(entries),
        *_verified_on_secondary(entries),
    ]


_BARE = re.compile(r"^(Có|Được|Không|Chưa|Đúng|Sai|Phải)(, [^.]{0,40})?\.\s")
_YES_NO_TITLE = re.compile(r"(không|được không|chưa|phải không|đúng không)\??$", re.IGNORECASE)


def _bare_yes_no(entries: list[FaqEntry]) -> list[Problem]:
    """An answer may open with a bare "Có." / "Được." / "Không." only when its title is that
    yes/no question: otherwise a reader cannot tell what was answered yes."""
    return [
        Problem(e.file, e.id, "answer opens with a bare yes/no but the title is no yes/no question")
        for e in entries
        if _BARE.match(e.answer.strip()) and not _YES_NO_TITLE.search(e.title.strip())
    ]


def _duplicate_ids(entries: list[FaqEntry]) -> list[Problem]:
    """Ids must be unique across files."""
    seen: dict[str, str] = {}
    problems = []
    for e in entries:
        if e.id in seen:
            problems.append(Problem(e.file, e.id, f"duplicate id (also in {seen[e.id]})"))
        seen.setdefault(e.id, e.file)
    return problems


def _broken_related(entries: list[FaqEntry]) -> list[Problem]:
    """Every related id must exist and not point to itself."""
    ids = {e.id for e in entries}
    problems = []
    for e in entries:
        for rel in e.related:
            if rel not in ids:
                problems.append(Problem(e.file, e.id, f"related entry '{rel}' does not exist"))
            elif rel == e.id:
                problems.append(Problem(e.file, e.id, "related entry points to itself"))
    return problems


def _near_duplicates(entries: list[FaqEntry], lexicon: Lexicon) -> list[Problem]:
    """Two entries must not share (almost) the same phrasing: the bot could not choose."""
    by_key: dict[str, list[tuple[FaqEntry, str]]] = defaultdict(list)
    analysed = []
    for e in entries:
        for q in e.questions:
            key = " ".join(lexicon.analyze(q))
            by_key[key].append((e, q))
            analysed.append((key, e, q))
    problems = []
    reported: set[tuple[str, str]] = set()
    for key, owners in by_key.items():
        ids = {e.id for e, _ in owners}
        if key and len(ids) > 1:
            first = owners[0]
            for e, q in owners[1:]:
                if e.id != first[0].id and (e.id, first[0].id) not in reported:
                    reported.add((e.id, first[0].id))
                    problems.append(
                        Problem(
                            e.file, e.id, f"question '{q}' duplicates '{first[1]}' of {first[0].id}"
                        )
                    )
    problems.extend(_fuzzy_duplicates(analysed, reported))
    return problems


def _fuzzy_duplicates(
    analysed: list[tuple[str, FaqEntry, str]], reported: set[tuple[str, str]]
) -> list[Problem]:
    """Near-identical phrasings in different entries (sorted-neighbour scan, not O(n²))."""
    problems = []
    ordered = sorted(analysed, key=lambda item: item[0])
    for (k1, e1, q1), (k2, e2, q2) in itertools.pairwise(ordered):
        if e1.id == e2.id or k1 == k2 or (e2.id, e1.id) in reported:
            continue
        if len(k1) > 15 and fuzz.ratio(k1, k2) >= NEAR_DUPLICATE:
            reported.add((e2.id, e1.id))
            problems.append(
                Problem(e2.file, e2.id, f"question '{q2}' nearly duplicates '{q1}' of {e1.id}")
            )
    return problems


def _verified_on_secondary(entries: list[FaqEntry]) -> list[Problem]:
    """An entry is `verified` only when every document it cites was checked against its text:
    one resting partly on a document known from secondary sources is `secondary` itself."""
    problems = []
    for e in entries:
        weak = sorted({s.doc.id for s in e.sources if s.doc.confidence == "secondary"})
        if e.status == "verified" and weak:
            cited = ", ".join(weak)
            problems.append(Problem(e.file, e.id, f"verified, but cites secondary {cited}"))
    return problems
