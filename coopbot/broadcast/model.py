"""Typed values of the broadcast service: audience filters, preview, status, summaries."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from coopbot.errors import CoopbotError

CHANNELS = ("telegram", "zalo")


class BroadcastError(CoopbotError):
    """A broadcast request that cannot be carried out (unknown id, bad filter, empty text)."""


@dataclass(frozen=True, slots=True)
class AudienceFilter:
    """Who gets an announcement; None means "any". Province and topic are audience.yaml ids."""

    channel: str | None = None
    province: str | None = None
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """How many would receive it, per channel; Zalo proactive messages are quota-limited/paid."""

    count: int
    by_channel: dict[str, int] = field(default_factory=dict)
    zalo_count: int = 0


@dataclass(frozen=True, slots=True)
class Status:
    """Delivery counts; ``state`` is draft, scheduled, queued, sending, done or cancelled."""

    total: int
    sent: int
    failed: int
    blocked: int
    pending: int
    state: str
    cancelled: int = 0

    def to_json(self) -> dict[str, int]:
        """The ``coopbot broadcast status --json`` object."""
        return {
            "total": self.total,
            "sent": self.sent,
            "failed": self.failed,
            "blocked": self.blocked,
            "pending": self.pending,
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """One broadcast in a list."""

    id: int
    created_at: datetime
    created_by: str
    text: str
    audience: AudienceFilter
    scheduled_at: datetime | None
    status: Status


class Outcome(enum.Enum):
    """What a channel did with one announcement to one recipient."""

    SENT = "sent"
    BLOCKED = "blocked"  # 403 / unfollowed: the contact is marked inactive
    RETRY = "retry"  # transient: try again later (after ``retry_after`` when given)
    FAILED = "failed"  # permanent


@dataclass(frozen=True, slots=True)
class SendResult:
    """A sender's answer."""

    outcome: Outcome
    retry_after: float | None = None
    detail: str = ""
