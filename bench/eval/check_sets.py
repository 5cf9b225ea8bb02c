"""Check the realistic evaluation sets: format, entry ids, distribution, near-copies.

Usage: python bench/eval/check_sets.py
Prints the distribution of each set, then every problem found; exits 1 on any problem.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's coopbot and knowledge/, not another install

import numpy as np  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from coopbot.config import REPO_KNOWLEDGE  # noqa: E402
from coopbot.knowledge import load_knowledge  # noqa: E402
from coopbot.knowledge.model import KnowledgeBase  # noqa: E402
from coopbot.text.normalize import fold, has_diacritics, tokens  # noqa: E402

EVAL = Path(__file__).resolve().parent
REPORT, CALIB, PENDING = "realistic.jsonl", "realistic_calib.jsonl", "realistic_pending.jsonl"
FILES = (REPORT, CALIB, PENDING)

SHAPES = ("letter", "story", "multi", "premise", "short")
WORDS = {"letter": (40, 107), "story": (20, 70), "short": (4, 15)}  # shape: (min, max)
MAX_WORDS = 107  # the longest real message measured
TYPES = ("htx", "tht", "lhhtx", "none")
AREAS = (
    "household business",
    "company law",
    "land",
    "crop and livestock insurance",
    "ocop",
    "bank loans",
    "personal income tax",
    "social insurance",
    "labour contracts",
    "prices",
    "plant disease",
    "weather",
)
MINIMUM = {REPORT: (220, 70)}  # file: (in-scope, off-topic) at least

COMMON = {"id", "q", "shape", "accents", "typos", "abbrev"}
INSCOPE_KEYS = COMMON | {"answers", "type", "count", "premise", "ambiguous_type"}
OOS_KEYS = COMMON | {"oos", "area"}
PENDING_KEYS = COMMON | {"topic", "type", "count", "premise", "article"}
ARTICLE_TOPIC = "article lookup"  # pending rows that ask for one article's text

NEAR = 85.0  # token_set_ratio at or above this is a near-copy
KB_SENTENCE_TOKENS = 6  # shorter sentences inside a message are not compared with the KB
PAIR_SENTENCE_TOKENS = 8  # ... nor across sets (greetings, thanks, "có được không?")
LENGTH_RATIO = 0.6  # compare two texts only when the shorter has at least 60 % of the tokens
SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
# Folded tokens that are abbreviations wherever they appear: a row containing one has abbrev true.
ABBREVIATIONS = frozenset(
    {"htx", "tht", "lhhtx", "tv", "dk", "dky", "bn", "ko", "k", "kg", "j", "z", "ad", "vs", "dc"}
    | {"hdqt", "bks", "gcn", "tndn", "bhxh", "ubnd", "nd", "qd", "tt", "sxkd", "dhtv", "tmdt"}
    | {"vdl", "tnhh", "kttt", "lmhtx"}
)


@dataclass(frozen=True)
class Unit:
    """One comparable piece of a question: the whole text or one of its sentences."""

    row_id: str
    text: str  # as written
    folded: str  # accent-folded tokens joined by spaces
    size: int  # number of tokens


def folded_tokens(text: str) -> list[str]:
    """Accent-folded word and number tokens (punctuation dropped)."""
    return tokens(fold(text))


def word_count(text: str) -> int:
    """Words as a reader counts them: whitespace-separated pieces with a letter or digit."""
    return sum(1 for w in text.split() if any(c.isalnum() for c in w))


def read_rows(path: Path, problems: list[str]) -> list[dict[str, Any]]:
    """Every JSON object of a JSONL file; a bad line is a problem."""
    rows: list[dict[str, Any]] = []
    if not path.exists():
        problems.append(f"{path.name}: missing")
        return rows
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{number}: not JSON ({exc.msg})")
            continue
        if not isinstance(row, dict):
            problems.append(f"{path.name}:{number}: not an object")
            continue
        rows.append(row)
    return rows


def check_common(row: dict[str, Any], where: str) -> list[str]:
    """Problems with the fields every row has."""
    out: list[str] = []
    q = row.get("q")
    if not isinstance(q, str) or not q.strip():
        return [f"{where}: q must be a non-empty string"]
    shape = row.get("shape")
    if shape not in SHAPES:
        out.append(f"{where}: shape {shape!r} not one of {SHAPES}")
    if not isinstance(row.get("accents"), bool):
        out.append(f"{where}: accents must be true or false")
    elif row["accents"] != has_diacritics(q):
        out.append(f"{where}: accents is {row['accents']} but the text says otherwise")
    for flag in ("typos", "abbrev"):
        if flag in row and not isinstance(row[flag], bool):
            out.append(f"{where}: {flag} must be true or false")
    found = ABBREVIATIONS & set(folded_tokens(q))
    if found and row.get("abbrev") is not True:
        out.append(f"{where}: abbrev must be true ({', '.join(sorted(found))})")
    words = word_count(q)
    low, high = WORDS.get(str(shape), (1, MAX_WORDS))
    if not low <= words <= high:
        out.append(f"{where}: {words} words, outside {low}-{high} for shape {shape}")
    return out


def check_optional(row: dict[str, Any], where: str) -> list[str]:
    """Problems with the optional type, count and premise fields."""
    out: list[str] = []
    if "type" in row and row["type"] not in TYPES:
        out.append(f"{where}: type {row['type']!r} not one of {TYPES}")
    count = row.get("count")
    if "count" in row and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        out.append(f"{where}: count must be a positive integer")
    if "premise" in row and row["premise"] != "2012":
        out.append(f'{where}: premise must be "2012"')
    return out


def check_answers(row: dict[str, Any], where: str, kb: KnowledgeBase) -> list[str]:
    """Problems with the answers of an in-scope row: shape of parts and entry ids."""
    parts = row.get("answers")
    if not isinstance(parts, list) or not parts:
        return [f"{where}: answers must be a non-empty list of parts"]
    out: list[str] = []
    for part in parts:
        if not isinstance(part, list) or not part or not all(isinstance(i, str) for i in part):
            out.append(f"{where}: every part must be a non-empty list of entry ids")
            continue
        if len(set(part)) != len(part):
            out.append(f"{where}: a part repeats an entry id")
        out.extend(f"{where}: unknown entry id {i}" for i in part if kb.entry(i) is None)
    if not 1 <= len(parts) <= 4:
        out.append(f"{where}: {len(parts)} parts; at most 4")
    if row.get("shape") == "multi" and len(parts) < 2:
        out.append(f"{where}: shape multi needs 2-4 parts")
    if row.get("ambiguous_type") is True and (len(parts) != 1 or len(parts[0]) < 2):
        out.append(f"{where}: ambiguous_type needs one part listing the candidates of each type")
    if "ambiguous_type" in row and not isinstance(row["ambiguous_type"], bool):
        out.append(f"{where}: ambiguous_type must be true or false")
    return out


def check_article(row: dict[str, Any], where: str, kb: KnowledgeBase) -> list[str]:
    """Problems with the article field: [document id, article number] of a stored article."""
    article = row.get("article")
    if row.get("topic") != ARTICLE_TOPIC:
        return [f"{where}: article is only for topic {ARTICLE_TOPIC!r}"] if "article" in row else []
    if (
        not isinstance(article, list)
        or len(article) != 2
        or not all(isinstance(part, str) and part for part in article)
    ):
        return [f'{where}: article must be ["document id", "article number"]']
    doc, number = article
    if doc not in kb.law.documents:
        return [f"{where}: article names unknown document {doc!r}"]
    if kb.law.article(doc, number) is None:
        return [f"{where}: {doc} has no article {number!r}"]
    return []


def check_row(row: dict[str, Any], name: str, kb: KnowledgeBase) -> list[str]:
    """Every format problem of one row of file `name`."""
    where = f"{name}: {row.get('id', '?')}"
    out = check_common(row, where)
    if name == PENDING:
        keys = PENDING_KEYS
        if not isinstance(row.get("topic"), str) or not row["topic"].strip():
            out.append(f"{where}: pending rows need a topic")
        out.extend(check_article(row, where, kb))
        out.extend(check_optional(row, where))
    elif row.get("oos") is True:
        keys = OOS_KEYS
        if row.get("area") not in AREAS:
            out.append(f"{where}: area {row.get('area')!r} not one of the off-topic areas")
    else:
        keys = INSCOPE_KEYS
        missing = [flag for flag in ("typos", "abbrev") if flag not in row]
        out.extend(f"{where}: {flag} is required" for flag in missing)
        out.extend(check_answers(row, where, kb))
        out.extend(check_optional(row, where))
    extra = set(row) - keys
    if extra:
        out.append(f"{where}: unexpected fields {sorted(extra)}")
    return out


def units(row_id: str, text: str, sentence_tokens: int) -> list[Unit]:
    """The whole text, and each of its sentences with at least sentence_tokens tokens."""
    seen: set[str] = set()
    out: list[Unit] = []
    for n, piece in enumerate([text, *SENTENCE.split(text)]):
        toks = folded_tokens(piece)
        folded = " ".join(toks)
        if toks and (n == 0 or len(toks) >= sentence_tokens) and folded not in seen:
            seen.add(folded)
            out.append(Unit(row_id, piece.strip(), folded, len(toks)))
    return out


def row_units(rows: Sequence[dict[str, Any]], sentence_tokens: int) -> list[Unit]:
    """The units of every row of a file."""
    return [u for r in rows for u in units(str(r.get("id")), str(r.get("q", "")), sentence_tokens)]


def close_pairs(left: Sequence[Unit], right: Sequence[Unit]) -> Iterable[tuple[Unit, Unit, float]]:
    """Pairs of comparable length whose token_set_ratio reaches NEAR."""
    if not left or not right:
        return
    scores = process.cdist(
        [u.folded for u in left],
        [u.folded for u in right],
        scorer=fuzz.token_set_ratio,
        score_cutoff=NEAR,
        dtype=np.uint8,
    )
    for i, j in zip(*np.nonzero(scores), strict=True):
        a, b = left[i], right[j]
        if min(a.size, b.size) >= LENGTH_RATIO * max(a.size, b.size):
            yield a, b, float(scores[i, j])


def kb_phrasings(kb: KnowledgeBase) -> list[Unit]:
    """Every question phrasing and title of the knowledge base, as units."""
    out: list[Unit] = []
    for entry in kb.entries:
        for text in (*entry.questions, entry.title):
            toks = folded_tokens(text)
            out.append(Unit(entry.id, text, " ".join(toks), len(toks)))
    return out


def near_kb(sets: dict[str, list[dict[str, Any]]], kb: KnowledgeBase) -> list[str]:
    """Questions (or sentences inside them) too close to a knowledge-base phrasing."""
    phrasings = kb_phrasings(kb)
    out: list[str] = []
    for name, rows in sets.items():
        best: dict[str, tuple[Unit, Unit, float]] = {}
        for unit, phr, score in close_pairs(row_units(rows, KB_SENTENCE_TOKENS), phrasings):
            if unit.row_id not in best or score > best[unit.row_id][2]:
                best[unit.row_id] = (unit, phr, score)
        out.extend(
            f"{name}: {unit.row_id}: near-copy ({score:.0f}) of {phr.row_id} "
            f"phrasing {phr.text!r}: {unit.text!r}"
            for unit, phr, score in best.values()
        )
    return out


REPORT_SETS = frozenset({"realistic.jsonl", "heldout.jsonl"})


def near_across(sets: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Pairs of questions too close to each other across two different files; a report set's
    text is never printed (writers of calibration rows run this and must not read it)."""
    per_file = {name: row_units(rows, PAIR_SENTENCE_TOKENS) for name, rows in sets.items()}
    names = list(per_file)
    out: list[str] = []
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            seen: set[tuple[str, str]] = set()
            for a, b, score in close_pairs(per_file[first], per_file[second]):
                if (a.row_id, b.row_id) in seen:
                    continue
                seen.add((a.row_id, b.row_id))
                shown = [
                    "(report set: not shown)" if name in REPORT_SETS else repr(unit.text)
                    for name, unit in ((first, a), (second, b))
                ]
                out.append(
                    f"{first}: {a.row_id} and {second}: {b.row_id} too close ({score:.0f}): "
                    f"{shown[0]} ~ {shown[1]}"
                )
    return out


def percent(part: int, whole: int) -> str:
    """'n (p %)'."""
    return f"{part} ({100 * part / whole:.0f} %)" if whole else "0"


def word_stats(rows: Sequence[dict[str, Any]]) -> str:
    """Median, p10-p90 and max of words per message."""
    counts = sorted(word_count(r["q"]) for r in rows if isinstance(r.get("q"), str))
    if not counts:
        return "-"
    deciles = statistics.quantiles(counts, n=10) if len(counts) > 1 else [counts[0]] * 9
    return (
        f"median {statistics.median(counts):.0f}, p10-p90 {deciles[0]:.0f}-{deciles[-1]:.0f}, "
        f"max {counts[-1]}"
    )


def tally(rows: Sequence[dict[str, Any]], key: str) -> str:
    """'value n, value n, ...' for one field, most common first."""
    counter = Counter(str(r.get(key, "-")) for r in rows)
    return ", ".join(f"{k} {v}" for k, v in counter.most_common())


def describe_inscope(rows: Sequence[dict[str, Any]], kb: KnowledgeBase) -> list[str]:
    """Distribution lines for in-scope rows."""
    n = len(rows)
    parts = Counter(len(r.get("answers", [])) for r in rows)
    used = {i for r in rows for part in r.get("answers", []) for i in part}
    topics = Counter(
        kb.by_id[i].topic
        for r in rows
        for part in r.get("answers", [])
        for i in part
        if i in kb.by_id
    )
    all_topics = {e.topic for e in kb.entries}
    missing = sorted(all_topics - set(topics))
    return [
        f"  in scope: {n}",
        f"    shape: {tally(rows, 'shape')}",
        f"    unaccented: {percent(sum(not r.get('accents') for r in rows), n)}; "
        f"typos: {percent(sum(bool(r.get('typos')) for r in rows), n)}; "
        f"abbreviations: {percent(sum(bool(r.get('abbrev')) for r in rows), n)}",
        "    parts: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(parts.items()))
        + f"; two or more: {percent(sum(v for k, v in parts.items() if k > 1), n)}",
        f"    type: {tally(rows, 'type')}",
        f"    count questions: {sum('count' in r for r in rows)}; "
        f"2012 premises: {sum(r.get('premise') == '2012' for r in rows)}; "
        f"ambiguous type: {sum(bool(r.get('ambiguous_type')) for r in rows)}",
        f"    words: {word_stats(rows)}",
        f"    entries used: {len(used)} of {len(kb.entries)}; topic files: "
        + ", ".join(f"{k} {v}" for k, v in sorted(topics.items()))
        + (f"; NOT COVERED: {', '.join(missing)}" if missing else ""),
    ]


def describe(name: str, rows: Sequence[dict[str, Any]], kb: KnowledgeBase) -> list[str]:
    """Distribution lines for one file."""
    lines = [f"{name}: {len(rows)} questions"]
    if name == PENDING:
        n = len(rows)
        lines += [
            f"  shape: {tally(rows, 'shape')}",
            f"  unaccented: {percent(sum(not r.get('accents') for r in rows), n)}",
            f"  words: {word_stats(rows)}",
            f"  topic: {tally(rows, 'topic')}",
        ]
        return lines
    inscope = [r for r in rows if r.get("oos") is not True]
    oos = [r for r in rows if r.get("oos") is True]
    lines += describe_inscope(inscope, kb)
    lines += [
        f"  off-topic: {len(oos)}",
        f"    shape: {tally(oos, 'shape')}",
        f"    unaccented: {percent(sum(not r.get('accents') for r in oos), len(oos))}",
        f"    area: {tally(oos, 'area')}",
        f"    words: {word_stats(oos)}",
    ]
    unaccented = sum(not r.get("accents") for r in rows)
    lines.append(f"  unaccented overall: {percent(unaccented, len(rows))}")
    return lines


def check_sizes(sets: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The report set must reach its minimum sizes."""
    out: list[str] = []
    for name, (min_in, min_oos) in MINIMUM.items():
        rows = sets.get(name, [])
        oos = sum(r.get("oos") is True for r in rows)
        if len(rows) - oos < min_in or oos < min_oos:
            out.append(
                f"{name}: {len(rows) - oos} in scope and {oos} off-topic; "
                f"needs at least {min_in} and {min_oos}"
            )
    return out


def check_ids(sets: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Row ids must be strings, unique across all files."""
    seen: dict[str, str] = {}
    out: list[str] = []
    for name, rows in sets.items():
        for row in rows:
            row_id = row.get("id")
            if not isinstance(row_id, str) or not row_id:
                out.append(f"{name}: a row without a string id: {str(row.get('q'))[:40]!r}")
            elif row_id in seen:
                out.append(f"{name}: id {row_id} already used in {seen[row_id]}")
            else:
                seen[row_id] = name
    return out


def main() -> int:
    """Run every check, print the distribution and the problems; 1 when any problem."""
    kb = load_knowledge(REPO_KNOWLEDGE)
    problems: list[str] = []
    sets = {name: read_rows(EVAL / name, problems) for name in FILES}
    problems += check_ids(sets)
    for name, rows in sets.items():
        for row in rows:
            problems += check_row(row, name, kb)
    problems += check_sizes(sets)
    problems += near_kb(sets, kb)
    problems += near_across(sets)
    for name, rows in sets.items():
        print("\n".join(describe(name, rows, kb)))
    if problems:
        print(f"\n{len(problems)} problem(s):")
        print("\n".join(f"  {p}" for p in problems))
        return 1
    print("\nno problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
