"""Translate at the edge: Telegram updates → neutral messages; neutral replies → Bot API calls."""

from __future__ import annotations

import hashlib
import html
from collections import OrderedDict
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.chunks import split_text
from coopbot.messages import Button, IncomingMessage, Reply, UserKey

CHANNEL = "telegram"
MAX_TEXT = 4096  # Bot API limit per message, after entity parsing
SPLIT_AT = 4000  # leave room; chunks are cut at paragraph, then line, then word boundaries
MAX_CALLBACK = 64  # bytes of callback_data
NON_TEXT = {
    "sticker": "sticker",
    "photo": "photo",
    "voice": "voice",
    "audio": "voice",
    "video": "file",
    "video_note": "file",
    "animation": "file",
    "document": "file",
    "location": "location",
    "venue": "location",
    "contact": "other",
    "poll": "other",
}


@dataclass(frozen=True, slots=True)
class Inbound:
    """What the channel needs to route one update."""

    chat_id: int
    message: IncomingMessage
    callback_id: str | None = None


class CallbackData:
    """Callback data within 64 bytes: short payloads pass as they are; longer ones are replaced
    by a digest remembered here (bounded LRU; a stale digest becomes an unknown payload)."""

    PREFIX = "h:"

    def __init__(self, size: int = 50_000) -> None:
        self._long: OrderedDict[str, str] = OrderedDict()
        self._size = size

    def pack(self, payload: str) -> str:
        """Payload → callback_data (≤ 64 bytes)."""
        if len(payload.encode()) <= MAX_CALLBACK and not payload.startswith(self.PREFIX):
            return payload
        digest = self.PREFIX + hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()
        self._long[digest] = payload
        self._long.move_to_end(digest)
        while len(self._long) > self._size:
            self._long.popitem(last=False)
        return digest

    def unpack(self, data: str) -> str:
        """callback_data → payload."""
        return self._long.get(data, data) if data.startswith(self.PREFIX) else data


def inbound(update: Update, callbacks: CallbackData) -> Inbound | None:
    """The neutral message in an update, or None for updates we do not answer."""
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat.id if query.message else query.from_user.id
        user = UserKey(CHANNEL, str(query.from_user.id))
        payload = callbacks.unpack(query.data or "")
        return Inbound(chat, IncomingMessage(user, payload=payload, kind="payload"), query.id)
    if update.edited_message is not None:
        msg = update.edited_message
        user = UserKey(CHANNEL, str(msg.from_user.id if msg.from_user else msg.chat.id))
        return Inbound(msg.chat.id, IncomingMessage(user, kind="edited"))
    new = update.message
    if new is None:
        return None
    user = UserKey(CHANNEL, str(new.from_user.id if new.from_user else new.chat.id))
    if new.text is not None:
        return Inbound(new.chat.id, IncomingMessage(user, text=new.text))
    kind = next((k for attr, k in NON_TEXT.items() if getattr(new, attr, None)), "other")
    return Inbound(new.chat.id, IncomingMessage(user, kind=kind))


def keyboard(buttons: tuple[Button, ...], callbacks: CallbackData) -> InlineKeyboardMarkup | None:
    """Inline keyboard: short labels (points, yes/no) share rows, long ones get a row each."""
    if not buttons:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    for b in buttons:
        key = InlineKeyboardButton(b.label[:64], callback_data=callbacks.pack(b.payload))
        short = len(b.label) <= 6
        if short and rows and len(rows[-1]) < 4 and all(len(k.text) <= 6 for k in rows[-1]):
            rows[-1].append(key)
        else:
            rows.append([key])
    return InlineKeyboardMarkup(rows)


def outbound(
    reply: Reply, callbacks: CallbackData
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """HTML-escaped chunks; the keyboard goes with the last chunk."""
    chunks = split_text(reply.text or " ", SPLIT_AT)
    markup = keyboard(reply.buttons, callbacks)
    return [
        (html.escape(chunk, quote=False), markup if i == len(chunks) - 1 else None)
        for i, chunk in enumerate(chunks)
    ]
