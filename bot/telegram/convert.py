"""Translate at the edge: neutral replies → Bot API calls (HTML text, inline keyboards)."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.chunks import split_text
from coopbot.messages import Button, Reply
from coopbot.payloads import MAX_BYTES

log = logging.getLogger(__name__)
CHANNEL = "telegram"
MAX_TEXT = 4096  # Bot API limit per message, after entity parsing
SPLIT_AT = 4000  # leave room; chunks are cut at paragraph, then line, then word boundaries


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """Inline keyboard: short labels (points, yes/no) share rows, long ones get a row each.
    Payloads are packed within Telegram's 64 bytes by ``coopbot.payloads``."""
    rows: list[list[InlineKeyboardButton]] = []
    for b in buttons:
        if len(b.payload.encode()) > MAX_BYTES:
            log.error("button payload over %d bytes left out", MAX_BYTES)
            continue
        key = InlineKeyboardButton(b.label[:64], callback_data=b.payload)
        short = len(b.label) <= 6
        if short and rows and len(rows[-1]) < 4 and all(len(k.text) <= 6 for k in rows[-1]):
            rows[-1].append(key)
        else:
            rows.append([key])
    return InlineKeyboardMarkup(rows) if rows else None


def outbound(reply: Reply) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """HTML-escaped chunks; the keyboard goes with the last chunk."""
    chunks = split_text(reply.text or " ", SPLIT_AT)
    markup = keyboard(reply.buttons)
    return [
        (html.escape(chunk, quote=False), markup if i == len(chunks) - 1 else None)
        for i, chunk in enumerate(chunks)
    ]
