"""Neutral message types shared by the core and every channel adapter."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class UserKey:
    """A user as seen by one channel; ``user_id`` is always a string (Zalo ids are 19 digits)."""

    channel: str
    user_id: str

    def __str__(self) -> str:
        """Render as ``channel:user_id``."""
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """Something a user sent: typed text, a button payload, or a non-text item."""

    user: UserKey
    text: str | None = None
    payload: str | None = None
    kind: str = "text"  # text | payload | sticker | photo | voice | file | location | other


@dataclass(frozen=True, slots=True)
class Button:
    """A quick-reply button; ``payload`` comes back as ``IncomingMessage.payload`` (≤ 64 bytes)."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One outgoing message with optional buttons."""

    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
