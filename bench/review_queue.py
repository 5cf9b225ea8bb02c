"""How long the review queue takes to group N pending questions (run: python bench/review_queue.py).

Pending questions are drawn from the held-out set and the knowledge base's own phrasings, a fifth
of them with their words shuffled, so most wordings are distinct: a worst case for grouping."""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from coopbot.admin.review import Item, group_items
from coopbot.config import REPO_KNOWLEDGE
from coopbot.knowledge import load_knowledge

HERE = Path(__file__).resolve().parent


def main(n: int = 5000) -> None:
    """Print pending count, distinct wordings, groups and seconds."""
    kb = load_knowledge(REPO_KNOWLEDGE)
    with (HERE / "eval" / "heldout.jsonl").open(encoding="utf-8") as f:
        pool = [json.loads(line)["q"] for line in f]
    pool += [q for e in kb.entries for q in e.questions]
    rng = random.Random(1)
    items = []
    for i in range(n):
        words = rng.choice(pool).split()
        if rng.random() < 0.2:
            rng.shuffle(words)
        text = " ".join(words)
        norm = " ".join(kb.lexicon.analyze(text))
        items.append(Item(i, text, norm, "not_sure", None, None, str(i % 700), datetime.now(UTC)))
    start = time.perf_counter()
    groups = group_items(items)
    took = time.perf_counter() - start
    distinct = len({i.normalized for i in items})
    print(f"{n} pending, {distinct} distinct wordings -> {len(groups)} groups in {took:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
