"""Terminal chat (``coopbot chat``): buttons become numbered options you answer with a number."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from coopbot.core import Core
from coopbot.messages import Button, IncomingMessage, Reply, UserKey

PROMPT = "Bạn: "


def render(replies: list[Reply]) -> tuple[str, list[Button]]:
    """Replies as terminal text; buttons numbered across all replies."""
    lines: list[str] = []
    buttons: list[Button] = []
    for reply in replies:
        lines.append(f"Bot: {reply.text}")
        for button in reply.buttons:
            buttons.append(button)
            lines.append(f"  [{len(buttons)}] {button.label}")
    return "\n".join(lines), buttons


async def run(core: Core, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Read lines until EOF or /thoat; a bare number presses the matching button."""
    user = UserKey("terminal", "local")
    buttons: list[Button] = []
    message = IncomingMessage(user, text="/start")
    while True:
        text, new_buttons = render(await core.handle(message))
        buttons = new_buttons or buttons
        stdout.write(text + "\n")
        stdout.write(PROMPT)
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line or line.strip().lower() in {"/thoat", "/quit", "/exit"}:
            stdout.write("\nTạm biệt!\n")
            return
        choice = line.strip()
        if choice.isdigit() and 1 <= int(choice) <= len(buttons):
            message = IncomingMessage(
                user, payload=buttons[int(choice) - 1].payload, kind="payload"
            )
        else:
            message = IncomingMessage(user, text=line.rstrip("\n"))
