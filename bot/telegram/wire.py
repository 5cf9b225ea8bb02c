"""Telegram updates off the wire → envelopes for the pipeline (validated before trusting them).

Only the fields coopbot reads are checked; an update of a kind it does not answer (a member
change, a poll…) is valid and yields None, so Telegram gets its 200 and stops retrying.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from coopbot.inbound.envelope import Envelope
from coopbot.messages import IncomingMessage, UserKey

CHANNEL = "telegram"
MAX_ID = 2**63  # Telegram ids fit in 52 bits; anything larger is forged
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


class BadUpdate(ValueError):
    """The body is not a Telegram update coopbot can read (the webhook answers 400)."""


def _id(value: Any, what: str) -> int:
    """A Telegram integer id."""
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= MAX_ID:
        raise BadUpdate(f"{what} must be an integer id")
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    """A JSON object."""
    if not isinstance(value, dict):
        raise BadUpdate(f"{what} must be an object")
    return value


def _sender(message: dict[str, Any], chat_id: int) -> str:
    """The user who sent a message (the chat itself when Telegram gives no ``from``)."""
    frm = message.get("from")
    return str(_id(_object(frm, "from")["id"], "from.id")) if frm is not None else str(chat_id)


def envelope(body: Any) -> Envelope | None:
    """The envelope for one update, None for kinds coopbot does not answer; BadUpdate when
    the body is malformed."""
    update = _object(body, "update")
    update_id = _id(update.get("update_id"), "update_id")
    found: Envelope | None = None
    if update.get("callback_query") is not None:
        found = _press(str(update_id), _object(update["callback_query"], "callback_query"))
    for field, edited in (("message", False), ("edited_message", True)):
        if found is None and update.get(field) is not None:
            found = _message(str(update_id), _object(update[field], field), edited)
    return replace(found, seq=update_id) if found is not None else None


def _press(dedupe: str, query: dict[str, Any]) -> Envelope:
    """A button press."""
    user = str(_id(_object(query.get("from"), "from")["id"], "from.id"))
    data, query_id = query.get("data", ""), query.get("id")
    if not isinstance(data, str) or not isinstance(query_id, str):
        raise BadUpdate("callback_query.data and .id must be strings")
    chat = user
    if query.get("message") is not None:
        chat = str(
            _id(
                _object(_object(query["message"], "message").get("chat"), "chat").get("id"),
                "chat.id",
            )
        )
    msg = IncomingMessage(UserKey(CHANNEL, user), payload=data, kind="payload")
    return Envelope(dedupe, chat, msg, {"callback": query_id[:64]})


def _message(dedupe: str, message: dict[str, Any], edited: bool) -> Envelope:
    """A new or edited message: text, or the kind of thing it carries."""
    chat = _id(_object(message.get("chat"), "chat").get("id"), "chat.id")
    user = UserKey(CHANNEL, _sender(message, chat))
    text = message.get("text")
    if text is not None and not isinstance(text, str):
        raise BadUpdate("text must be a string")
    if edited:
        msg = IncomingMessage(user, kind="edited")
    elif text is not None:
        msg = IncomingMessage(user, text=text)
    else:
        kind = next((k for attr, k in NON_TEXT.items() if message.get(attr)), "other")
        msg = IncomingMessage(user, kind=kind)
    return Envelope(dedupe, str(chat), msg)
