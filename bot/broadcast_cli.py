"""``coopbot broadcast send|status|list|cancel|watch``: queue and follow announcements."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from coopbot.broadcast import AudienceFilter, Broadcasts, Status
from coopbot.config import Settings
from coopbot.knowledge import load_knowledge
from coopbot.storage.db import make_engine

T = TypeVar("T")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``broadcast`` sub-commands."""
    bc = sub.add_parser("broadcast", help="announcements to subscribers")
    cmd = bc.add_subparsers(dest="broadcast", required=True)
    send = cmd.add_parser("send", help="queue an announcement; prints its id")
    send.add_argument("--text", required=True)
    send.add_argument("--channel", choices=["telegram", "zalo"])
    send.add_argument("--province", help="id or name from knowledge/audience.yaml")
    send.add_argument("--topic", help="id or name from knowledge/audience.yaml")
    send.add_argument("--at", help="send from this ISO time (e.g. 2026-12-01T08:00+07:00)")
    send.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    send.add_argument("--wait", action="store_true", help="show a progress bar until done")
    status = cmd.add_parser("status", help="delivery counts of one broadcast")
    status.add_argument("id", type=int)
    status.add_argument("--json", action="store_true")
    cmd.add_parser("list", help="recent broadcasts")
    cancel = cmd.add_parser("cancel", help="stop a queued broadcast")
    cancel.add_argument("id", type=int)
    watch = cmd.add_parser("watch", help="progress bar until a broadcast is done")
    watch.add_argument("id", type=int)


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Dispatch a ``broadcast`` sub-command."""
    if settings.auto_migrate:
        from coopbot.storage.migrate import upgrade

        upgrade(settings.database_url)
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    """Open the database for one command."""
    engine = make_engine(settings.database_url)
    try:
        service = Broadcasts(engine)
        action: dict[str, Callable[[], Awaitable[int]]] = {
            "send": lambda: _send(settings, service, args),
            "status": lambda: _status(service, args),
            "list": lambda: _list(service),
            "cancel": lambda: _cancel(service, args),
            "watch": lambda: watch(service, args.id),
        }
        return await action[args.broadcast]()
    finally:
        await engine.dispose()


async def _send(settings: Settings, service: Broadcasts, args: argparse.Namespace) -> int:
    """Preview, confirm (unless --yes), queue, print the id."""
    audience = load_knowledge(settings.knowledge_dir).audience
    province = audience.province(args.province) if args.province else None
    topic = audience.topic(args.topic) if args.topic else None
    if (args.province and province is None) or (args.topic and topic is None):
        print("coopbot broadcast: unknown province or topic", file=sys.stderr)
        return 2
    when = datetime.fromisoformat(args.at) if args.at else None
    if when is not None and when.tzinfo is None:
        print("coopbot broadcast: --at needs a time zone, e.g. +07:00", file=sys.stderr)
        return 2
    target = AudienceFilter(
        args.channel, province.id if province else None, topic.id if topic else None
    )
    preview = await service.preview(target)
    if not preview.count:  # even with --yes: an announcement to nobody is a mistaken filter
        print("coopbot broadcast: no subscriber matches these filters; nothing queued",
              file=sys.stderr)  # fmt: skip
        return 1
    if not args.yes:
        print(f"recipients: {preview.count} {preview.by_channel}", file=sys.stderr)
        if preview.zalo_count:
            print("note: Zalo proactive messages are quota-limited and paid", file=sys.stderr)
        answer = await asyncio.to_thread(input, "send? [y/N] ")
        if answer.strip().lower() not in ("y", "yes", "c", "có"):
            return 1
    broadcast_id = await service.create(args.text, target, "cli", when)
    print(broadcast_id, flush=True)
    return await watch(service, broadcast_id) if args.wait else 0


async def _status(service: Broadcasts, args: argparse.Namespace) -> int:
    """Counts as JSON or a line."""
    st = await service.status(args.id)
    print(json.dumps(st.to_json()) if args.json else _line(args.id, st))
    return 0


def _line(broadcast_id: int, st: Status) -> str:
    """One human-readable line."""
    return (
        f"#{broadcast_id} {st.state}: sent {st.sent}/{st.total}, failed {st.failed}, "
        f"blocked {st.blocked}, pending {st.pending}, cancelled {st.cancelled}"
    )


async def _list(service: Broadcasts) -> int:
    """Recent broadcasts, newest first."""
    for item in await service.list(50):
        first = item.text.splitlines()[0][:50] if item.text else ""
        print(f"{_line(item.id, item.status)}  {item.created_at:%Y-%m-%d %H:%M}  {first}")
    return 0


async def _cancel(service: Broadcasts, args: argparse.Namespace) -> int:
    """Cancel; exit 1 when it was not cancellable."""
    ok = await service.cancel(args.id)
    print("cancelled" if ok else "not cancellable (unknown, done or already cancelled)")
    return 0 if ok else 1


async def watch(service: Broadcasts, broadcast_id: int, every: float = 1.0) -> int:
    """A rich progress bar until nothing is pending."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TextColumn("{task.fields[detail]}")) as bar:
        st = await service.status(broadcast_id)
        task = bar.add_task(f"#{broadcast_id}", total=st.total, detail="")
        while True:
            done = st.sent + st.failed + st.blocked + st.cancelled
            detail = f"{st.state} · failed {st.failed} · blocked {st.blocked}"
            bar.update(task, completed=done, detail=detail)
            if st.pending == 0 and st.state != "scheduled":
                break
            await asyncio.sleep(every)
            st = await service.status(broadcast_id)
    return 0
