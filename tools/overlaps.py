"""Print pairs of FAQ entries that seem to answer the same question.

Signals: near-duplicate phrasings or titles (rapidfuzz on accent-folded text) and phrasings that
the retriever, with that phrasing hidden, confidently answers with another entry.
Usage (from the repository root): python tools/overlaps.py [--knowledge DIR] [--no-retrieval]
       [--min-confidence 0.8]
Exit status 0 always: this is a report, not a check.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from coopbot.config import REPO_KNOWLEDGE
from coopbot.knowledge import load_knowledge
from coopbot.knowledge.overlap import (
    RETRIEVAL_CONFIDENCE,
    Overlap,
    overlapping_pairs,
    retrieval_overlaps,
    text_overlaps,
)
from coopbot.retrieval.overlap_check import retriever_search


def report(pairs: dict[tuple[str, str], list[Overlap]]) -> str:
    """One block per pair: the ids, then each signal with its evidence."""
    lines = []
    for (a, b), signals in pairs.items():
        lines.append(f"{a} <> {b}")
        lines.extend(f"    {o.kind} {o.score:.2f}: {o.evidence}" for o in signals)
    lines.append(f"{len(pairs)} pairs")
    return "\n".join(lines)


def main() -> None:
    """Load the knowledge base, find overlaps, print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=REPO_KNOWLEDGE)
    parser.add_argument("--no-retrieval", action="store_true")
    parser.add_argument("--min-confidence", type=float, default=RETRIEVAL_CONFIDENCE)
    args = parser.parse_args()
    kb = load_knowledge(args.knowledge)
    found = text_overlaps(kb.entries)
    if not args.no_retrieval:
        found += retrieval_overlaps(kb.entries, retriever_search(kb), args.min_confidence)
    found.sort(key=lambda o: (o.pair, o.kind, -o.score))
    print(report(overlapping_pairs(found)))


if __name__ == "__main__":
    main()
