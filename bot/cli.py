"""The ``coopbot`` command line (contract in ARCHITECTURE.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from bot.evaluate import evaluate, read_jsonl, summary
from bot.logs import configure as configure_logging
from bot.ops_cli import add_commands as add_ops_commands
from bot.ops_cli import db_command, stats
from coopbot.config import (
    Settings,
    data_folder,
    database_location,
    ensure_data_folder,
    load_settings,
    uses_legacy_database,
)
from coopbot.core import Core, build_core
from coopbot.errors import CoopbotError, InputError
from coopbot.knowledge import check_knowledge

log = logging.getLogger("coopbot")
ACCESS_LOG = '"%r" %s %b %Tfs'  # no client address: it is personal data
SHUTDOWN_SECONDS = 3.0  # requests in flight get this long after SIGTERM; the inbox keeps the rest
DATABASE_COMMANDS = frozenset({"serve", "admin", "db", "stats", "broadcast"})
URL = re.compile(r"https?://[^\s,]+")


def _parser() -> argparse.ArgumentParser:
    """All sub-commands."""
    p = argparse.ArgumentParser(prog="coopbot", description="Trợ lý hợp tác xã")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the web chat, API and channel webhooks")
    sub.add_parser("chat", help="talk to the bot in the terminal")
    ask = sub.add_parser("ask", help="answer one question or a JSONL batch")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--batch", type=Path)
    kb = sub.add_parser("kb", help="knowledge base tools").add_subparsers(dest="kb", required=True)
    kb.add_parser("check", help="validate knowledge/")
    export = kb.add_parser("export", help="print every FAQ entry")
    export.add_argument("--json", action="store_true", required=True)
    ev = sub.add_parser("eval", help="score answers against an expectations JSONL file")
    ev.add_argument("file", type=Path)
    ev.add_argument("--json", action="store_true")
    assess = sub.add_parser("assess", help="run a questionnaire on a JSON file of answers")
    assess.add_argument("--flow", required=True)
    assess.add_argument("--answers", type=Path, required=True)
    assess.add_argument("--json", action="store_true")
    db = sub.add_parser("db", help="database tools").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply migrations to COOPBOT_DATABASE_URL")
    admin = sub.add_parser("admin", help="staff web accounts")
    admin_sub = admin.add_subparsers(dest="admin", required=True)
    create = admin_sub.add_parser("create-user", help="add a staff account (password on stdin)")
    create.add_argument("name")
    create.add_argument("--role", choices=["staff", "officer", "admin"], required=True)
    admin_sub.add_parser("list-users", help="print every staff account")
    from bot.broadcast_cli import add_parser
    from bot.curation_cli import add_parsers as add_curation_parsers

    add_parser(sub)
    add_curation_parsers(kb, sub)
    add_ops_commands(sub, db)
    return p


def ask_json(core: Core, question: str) -> dict[str, Any]:
    """One answer in the ``ask --json`` shape; ``answer`` is what the user would receive."""
    outcome = core.answer(question)
    entry = core.kb.entry(outcome.entry_id) if outcome.confident and outcome.entry_id else None
    from coopbot.dialog.render import cite

    return {
        "q": question,
        "answer": "\n\n".join(r.text for r in outcome.replies),
        "confident": outcome.confident,
        "kind": outcome.kind,
        "entry_id": outcome.entry_id if outcome.confident else None,
        "entries": list(outcome.answered),
        "score": outcome.score,
        "suggestions": list(outcome.suggestions),
        "sources": [cite(ref, core.kb) for ref in entry.sources] if entry else [],
    }


def _ask(settings: Settings, args: argparse.Namespace) -> int:
    """``coopbot ask``."""
    core = build_core(settings)
    if args.batch:
        questions = [str(row["q"]) for row in read_jsonl(args.batch)]
    elif args.question:
        questions = [args.question]
    else:
        print("coopbot ask: give a QUESTION or --batch FILE", file=sys.stderr)
        return 2
    for q in questions:
        result = ask_json(core, q)
        print(json.dumps(result, ensure_ascii=False) if args.json else result["answer"])
    return 0


def _kb_check(settings: Settings) -> int:
    """``coopbot kb check``: every problem as ``file: entry: reason``."""
    kb, problems = check_knowledge(settings.knowledge_dir)
    if not problems:  # overlaps need a loadable base (and take a few seconds)
        from coopbot.retrieval.overlap_check import overlap_problems

        problems = overlap_problems(kb, settings.knowledge_dir)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"ok: {len(kb.entries)} entries, {len(kb.documents)} documents, {len(kb.law)} articles")
    return 0


def _kb(settings: Settings, args: argparse.Namespace) -> int:
    """``coopbot kb check|export|merge-phrasings``."""
    if args.kb == "merge-phrasings":
        from bot.curation_cli import merge_phrasings

        return merge_phrasings(settings, args.yes)
    return _kb_check(settings) if args.kb == "check" else _kb_export(settings)


def _kb_export(settings: Settings) -> int:
    """``coopbot kb export --json``: one JSON array of entries."""
    kb, problems = check_knowledge(settings.knowledge_dir)
    from coopbot.dialog.render import cite

    rows = [
        {
            "id": e.id,
            "questions": list(e.questions),
            "answer": e.answer,
            "sources": [cite(ref, kb) for ref in e.sources],
        }
        for e in kb.entries
    ]
    print(json.dumps(rows, ensure_ascii=False, indent=1))
    return 1 if problems else 0


def _eval(settings: Settings, args: argparse.Namespace) -> int:
    """``coopbot eval FILE``."""
    core = build_core(settings)
    rows = read_jsonl(args.file)
    result = evaluate(rows, lambda q: ask_json(core, q), dict(core.kb.retired))
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else summary(result))
    return 0


def _assess(settings: Settings, args: argparse.Namespace) -> int:
    """``coopbot assess``: the result object, or exit 2 naming the bad key."""
    from coopbot.dialog.flows.evaluate import answers_from_json, evaluate
    from coopbot.dialog.flows.render import result_replies
    from coopbot.knowledge import load_knowledge

    kb = load_knowledge(settings.knowledge_dir)
    flow = kb.flows.get(args.flow)
    if flow is None:
        print(
            f"coopbot assess: unknown flow '{args.flow}' (known: {', '.join(kb.flows)})",
            file=sys.stderr,
        )
        return 2
    try:
        data = json.loads(args.answers.read_text(encoding="utf-8"))
        answers = answers_from_json(flow, data)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"coopbot assess: cannot read {args.answers}: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:
        print(f"coopbot assess: {exc}", file=sys.stderr)
        return 2
    result = evaluate(flow, answers)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print("\n\n".join(r.text for r in result_replies(kb, result)))
    return 0


def _listening(settings: Settings) -> Callable[[str], None]:
    """Prints ``coopbot: http://HOST:PORT (database: …)`` once the server listens (aiohttp
    hands over its "Running on …" text, which names the bound port even for port 0)."""

    def announce(message: str) -> None:
        urls = URL.findall(message) or [f"http://{settings.host}:{settings.port}"]
        where = database_location(settings.database_url)
        _tell(settings, f"{', '.join(urls)} (database: {where})", sys.stdout)

    return announce


def _serve(settings: Settings) -> int:
    """``coopbot serve``."""
    from aiohttp import web

    from bot.server import make_app

    web.run_app(
        make_app(settings),
        host=settings.host,
        port=settings.port,
        print=_listening(settings),
        reuse_port=settings.reuse_port or None,
        access_log_format=ACCESS_LOG,
        shutdown_timeout=SHUTDOWN_SECONDS,
    )
    return 0


def _tell(settings: Settings, text: str, stream: TextIO, level: int = logging.INFO) -> None:
    """One ``coopbot: …`` line for people; a log record when the logs are JSON (for machines:
    every line of such a log stays one JSON object)."""
    if settings.log_format == "json":
        log.log(level, text)
    else:
        print(f"coopbot: {text}", file=stream, flush=True)


def _database_notes(settings: Settings, command: str) -> None:
    """Say on stderr which database an admin command uses (``serve`` says it once listening),
    and that an old ``./coopbot.db`` found here is used instead of the per-user folder."""
    url = settings.database_url
    if uses_legacy_database(url):
        default = data_folder() / "coopbot.db"
        text = f"using ./coopbot.db found in this folder; the default database is now {default}"
        text += " (move the file there, or set COOPBOT_DATABASE_URL)"
        _tell(settings, text, sys.stderr, logging.WARNING)
    ensure_data_folder(url)
    if command != "serve":
        _tell(settings, f"database: {database_location(url)}", sys.stderr)


def _chat(settings: Settings) -> int:
    """``coopbot chat``: the terminal channel (no tokens, no network, no database)."""
    from bot.web.terminal import run
    from coopbot.inbound.pipeline import Pipeline
    from coopbot.storage.channel_state import MemoryContactStore
    from coopbot.storage.inbox import MemoryInbox

    pipeline = Pipeline(build_core(settings), MemoryInbox(), {}, MemoryContactStore())
    asyncio.run(run(pipeline))
    return 0


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the settings, for log redaction."""
    values = [getattr(settings, name) for name in type(settings).model_fields]
    return [v.get_secret_value() for v in values if hasattr(v, "get_secret_value")]


def config_errors(exc: ValidationError) -> list[str]:
    """One ``VARIABLE: reason`` line per bad value (values are not echoed: some are secrets)."""
    lines = []
    for err in exc.errors():
        reason = str(err["msg"]).removeprefix("Value error, ")
        where = ".".join(map(str, err["loc"]))
        lines.append(f"{where}: {reason}" if where else reason)
    return lines


def main(argv: list[str] | None = None) -> int:
    """Entry point; errors become one clear line and a non-zero exit."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as exc:
        for line in config_errors(exc):
            print(f"configuration: {line}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, secrets_of(settings), settings.log_format)
    try:
        if args.command in DATABASE_COMMANDS:
            _database_notes(settings, args.command)
        if args.command == "ask":
            return _ask(settings, args)
        if args.command == "kb":
            return _kb(settings, args)
        if args.command == "review":
            from bot.curation_cli import verdicts

            return verdicts(settings)
        if args.command == "assess":
            return _assess(settings, args)
        if args.command == "eval":
            return _eval(settings, args)
        if args.command == "serve":
            return _serve(settings)
        if args.command == "chat":
            return _chat(settings)
        if args.command == "admin":
            from bot.admin.cli import run as admin_cli

            return admin_cli(settings, args)
        if args.command == "broadcast":
            from bot.broadcast_cli import run

            return run(settings, args)
        if args.command == "stats":
            return stats(settings, args)
        return db_command(settings, args)
    except CoopbotError as exc:
        print(f"coopbot: {exc}", file=sys.stderr)
        return 1
    except (OSError, DBAPIError) as exc:
        if args.command not in DATABASE_COMMANDS:
            raise
        reason = str(exc.orig if isinstance(exc, DBAPIError) else exc).splitlines()[0]
        where = database_location(settings.database_url)
        print(f"coopbot: cannot use the database {where}: {reason}", file=sys.stderr)
        return 1
