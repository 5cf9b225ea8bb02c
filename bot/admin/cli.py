"""``coopbot admin``: create and list staff accounts from the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from coopbot.admin.accounts import Accounts, Role
from coopbot.config import Settings
from coopbot.errors import InputError
from coopbot.storage.db import make_engine
from coopbot.storage.migrate import upgrade_async


def read_password() -> str | None:
    """Twice at a terminal (hidden); one line from standard input otherwise."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu: ")
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        print("coopbot admin: the two passwords differ", file=sys.stderr)
        return None
    return first


async def _run(settings: Settings, args: argparse.Namespace, password: str | None) -> int:
    """Migrate, then create or list accounts."""
    if settings.auto_migrate:
        await upgrade_async(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        accounts = Accounts(engine)
        if args.admin == "list-users":
            for u in await accounts.users():
                state = "active" if u.active else "locked"
                print(f"{u.name}\t{u.role.name.lower()}\t{state}")
            return 0
        assert password is not None
        staff = await accounts.create_user(args.name, Role.parse(args.role), password)
        print(f"created {staff.name} ({staff.role.name.lower()})")
        return 0
    finally:
        await engine.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Entry from ``bot.cli``; exit 2 on a bad name or password."""
    password = None
    if args.admin == "create-user":
        password = read_password()
        if password is None:
            return 2
    try:
        return asyncio.run(_run(settings, args, password))
    except InputError as exc:
        print(f"coopbot admin: {exc}", file=sys.stderr)
        return 2
