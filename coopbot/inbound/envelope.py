"""What an adapter hands the pipeline, and how messages and replies are kept in the inbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coopbot.messages import Button, IncomingMessage, Reply, UserKey


@dataclass(frozen=True, slots=True)
class Envelope:
    """One platform update, translated: the message, where replies go, the dedupe key."""

    dedupe: str  # the platform's id for the update (a retry carries the same one)
    chat: str  # the raw chat id replies go to; also the ordering key
    message: IncomingMessage
    context: Mapping[str, Any] = field(default_factory=dict)  # what the sender needs to reply
    seq: int = 0  # the platform's order within the chat (Telegram update_id, Zalo timestamp)

    @property
    def channel(self) -> str:
        """The channel the message came from."""
        return self.message.user.channel


def message_json(msg: IncomingMessage) -> dict[str, Any]:
    """A message as JSON for the inbox."""
    return {"user": msg.user.user_id, "text": msg.text, "payload": msg.payload, "kind": msg.kind}


def message_from_json(channel: str, data: Mapping[str, Any]) -> IncomingMessage:
    """Back from the inbox."""
    user = UserKey(channel, str(data["user"]))
    return IncomingMessage(user, data.get("text"), data.get("payload"), str(data["kind"]))


def replies_json(replies: list[Reply] | tuple[Reply, ...]) -> list[dict[str, Any]]:
    """Replies as JSON for the inbox (so a restart sends the same ones)."""
    return [{"text": r.text, "buttons": [[b.label, b.payload] for b in r.buttons]} for r in replies]


def replies_from_json(data: list[Any]) -> tuple[Reply, ...]:
    """Back from the inbox."""
    return tuple(
        Reply(str(r["text"]), tuple(Button(str(b[0]), str(b[1])) for b in r["buttons"]))
        for r in data
    )
