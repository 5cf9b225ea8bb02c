"""Terminal chat (``coopbot chat``): buttons become numbered options you answer with a number.

A number is a button press only when the question offers word options; typed text equal to a
button's label (for example points "0"…"6") presses that button; controls are typed as words.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from coopbot.inbound.pipeline import Pipeline
from coopbot.messages import Button, IncomingMessage, Reply, UserKey
from coopbot.payloads import Answer, FlowControl, unpack

PROMPT = "Bạn: "
NOTE = (
    "(Trò chuyện trên máy này: không lưu gì cả, không dùng cơ sở dữ liệu; "
    "thoát là mất. Gõ /thoat để thoát.)"
)


def _control(button: Button) -> bool:
    """A questionnaire's back or stop button (typed as words in the terminal)."""
    return isinstance(unpack(button.payload), FlowControl)


def render(replies: list[Reply]) -> tuple[str, list[Button], list[Button]]:
    """Terminal text, the numbered buttons, and every button (for label matches).

    Only the last reply's word buttons get numbers; inside a questionnaire a numeric question
    has none, so a typed number is always its answer.
    """
    every = [b for r in replies for b in r.buttons]
    in_flow = any(_control(b) for b in every)
    numbered: list[Button] = []
    lines: list[str] = []
    for i, reply in enumerate(replies):
        lines.append(f"Bot: {reply.text}")
        digits = [b for b in reply.buttons if b.label.isdigit()]
        if digits:
            lines.append("  Chọn: " + " ".join(b.label for b in digits))
        words = [b for b in reply.buttons if not _control(b) and not b.label.isdigit()]
        last = i == max((j for j, r in enumerate(replies) if r.buttons), default=-1)
        for button in words:
            if last and (not in_flow or isinstance(unpack(button.payload), Answer)):
                numbered.append(button)
                lines.append(f"  [{len(numbered)}] {button.label}")
            else:
                lines.append(f"  • {button.label}")
        if any(_control(b) for b in reply.buttons):
            lines.append("  (gõ “quay lại” để sửa câu trước, “hủy” để dừng)")
    return "\n".join(lines), numbered, every


def choose(line: str, numbered: list[Button], every: list[Button]) -> str | None:
    """The payload the typed line selects, if it selects a button."""
    typed = line.strip()
    for button in every:
        if typed.casefold() == button.label.casefold():
            return button.payload
    if typed.isdigit() and 1 <= int(typed) <= len(numbered):
        return numbered[int(typed) - 1].payload
    return None


async def run(pipeline: Pipeline, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Say that nothing is kept, then read lines until EOF or /thoat."""
    stdout.write(NOTE + "\n")
    user = UserKey("terminal", "local")
    numbered: list[Button] = []
    every: list[Button] = []
    message = IncomingMessage(user, text="/start")
    while True:
        text, numbered, every = render(await pipeline.handle_now(message))
        stdout.write(text + "\n" + PROMPT)
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line or line.strip().lower() in {"/thoat", "/quit", "/exit"}:
            stdout.write("\nTạm biệt!\n")
            return
        payload = choose(line, numbered, every)
        if payload is not None:
            message = IncomingMessage(user, payload=payload, kind="payload")
        else:
            message = IncomingMessage(user, text=line.rstrip("\n"))
