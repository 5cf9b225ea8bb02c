"""``coopbot kb merge-phrasings`` and ``coopbot review verdicts``: staff curation on the command
line (the staff web attaches phrasings and records verdicts; these carry them further)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime

from coopbot.admin.merge import apply_merge, plan_merge, undo_merge
from coopbot.admin.review import ReviewQueue
from coopbot.config import Settings
from coopbot.knowledge import check_knowledge, load_knowledge
from coopbot.storage.curation import CurationStore
from coopbot.storage.db import make_engine


def add_parsers(
    kb: argparse._SubParsersAction[argparse.ArgumentParser],
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """``kb merge-phrasings`` and ``review verdicts``."""
    merge = kb.add_parser(
        "merge-phrasings", help="write phrasings attached in the staff web into knowledge/faq"
    )
    merge.add_argument("--yes", action="store_true", help="write (default: only show the plan)")
    review = sub.add_parser("review", help="staff review data")
    cmd = review.add_subparsers(dest="review", required=True)
    verdicts = cmd.add_parser("verdicts", help="staff checks of confident answers")
    verdicts.add_argument("--jsonl", action="store_true", required=True)


def _migrate(settings: Settings) -> None:
    """Bring the schema up to date first, as the other database commands do."""
    if settings.auto_migrate:
        from coopbot.storage.migrate import upgrade

        upgrade(settings.database_url)


def merge_phrasings(settings: Settings, write: bool) -> int:
    """Print the plan; with ``write``, apply it, check knowledge/ and mark the phrasings merged."""
    _migrate(settings)
    return asyncio.run(_merge(settings, write))


async def _merge(settings: Settings, write: bool) -> int:
    """Plan, print, and (``write``) apply with a check and an undo on failure."""
    root = settings.knowledge_dir
    kb = load_knowledge(root)
    engine = make_engine(settings.database_url)
    try:
        store = CurationStore(engine)
        plan = plan_merge(kb, await store.phrasings(pending=True))
        for rel, entries in sorted(plan.added.items()):
            for entry_id, texts in entries.items():
                for text in texts:
                    print(f"{rel}: {entry_id}: + {text}")
        for p in plan.present:
            print(f"already in knowledge/: {p.entry_id}: {p.text}")
        for p in plan.unknown:
            print(f"no entry '{p.entry_id}' (left pending): {p.text}", file=sys.stderr)
        files = len(plan.added)
        verb = "added" if write else "would add"
        print(f"{verb} {plan.count} question(s) in {files} file(s); {len(plan.present)} present")
        if not write or not plan.merged_ids:
            if not write and plan.count:
                print("dry run: nothing written; run again with --yes to write", file=sys.stderr)
            return 0
        before = await asyncio.to_thread(apply_merge, root, plan)
        problems = await asyncio.to_thread(_problems, settings)
        if problems:
            await asyncio.to_thread(undo_merge, before)
            for line in problems:
                print(line, file=sys.stderr)
            print("knowledge/ would not pass kb check: files restored", file=sys.stderr)
            return 1
        await store.mark_merged(plan.merged_ids, datetime.now(UTC))
        return 0
    finally:
        await engine.dispose()


def _problems(settings: Settings) -> list[str]:
    """``kb check`` on the written files: schema problems, then overlapping entries."""
    kb, problems = check_knowledge(settings.knowledge_dir)
    if not problems:
        from coopbot.retrieval.overlap_check import overlap_problems

        problems = overlap_problems(kb, settings.knowledge_dir)
    return [str(p) for p in problems]


def verdicts(settings: Settings) -> int:
    """One JSON line per staff verdict: ``{"q", "entry_id", "right", "runner_up"}``."""
    _migrate(settings)
    return asyncio.run(_verdicts(settings))


async def _verdicts(settings: Settings) -> int:
    """Stream the verdicts to stdout."""
    engine = make_engine(settings.database_url)
    try:
        async for row in ReviewQueue(engine).verdicts():
            print(json.dumps(row, ensure_ascii=False))
    finally:
        await engine.dispose()
    return 0
