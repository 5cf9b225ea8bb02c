"""Typed commands: ``/name[@bot] [argument]`` parsed once, for every handler of the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command: lower-case ``name`` without the bot mention, and its ``arg`` text."""

    name: str
    arg: str = ""


def parse_command(text: str | None) -> Command | None:
    """The command a message starts with, or None for ordinary text."""
    body = (text or "").strip()
    if not body.startswith("/") or len(body) < 2 or body[1].isspace():
        return None
    parts = body[1:].split(maxsplit=1)
    name = parts[0].split("@", 1)[0].lower() if parts else ""
    arg = parts[1] if len(parts) > 1 else ""
    if not name or not name.replace("_", "").isalnum():
        return None
    return Command(name, arg.strip())
