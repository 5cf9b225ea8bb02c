"""The durable inbox: platform updates committed before they are acknowledged, worked off in
order per chat by any process (the port and its in-memory twin; SQL in ``inbox_sql``).

Claiming: at most one pending row of a chat is held (``owner`` until ``lease_until``; the SQL
schema enforces it). A process may take the chat's held row when its lease has ended (a killed
worker's row is taken over), else the FIRST pending row (platform order, then arrival), and only
while no other live process holds one. So one chat's rows are handled one at a time and in
arrival order across every worker; a row that waits for a retry (``not_before``) holds its chat
back until then. An update whose chat has nothing pending is committed already held by the
process that accepted it (``accept_and_claim``), which saves a claim per message.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from coopbot.inbound.envelope import (
    Envelope,
    message_from_json,
    message_json,
    replies_from_json,
    replies_json,
)
from coopbot.messages import IncomingMessage, Reply, UserKey
from coopbot.storage.quarantine import Quarantined, ascii_json


class LeaseLost(RuntimeError):
    """Another process took the row over (this one was too slow): stop working on it."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this process now works on."""

    id: int
    chat: str
    message: IncomingMessage
    context: dict[str, Any]
    replies: tuple[Reply, ...] | None  # None until the core has answered
    sent: int
    attempts: int


@dataclass(frozen=True, slots=True)
class Accepted:
    """What became of an update offered to the inbox."""

    fresh: bool  # False: its dedupe key was seen before (a platform retry), nothing was stored
    claimed: Claimed | None = None  # stored already held by the caller (its chat was idle)


class Inbox(ABC):
    """Durable, ordered, deduplicated intake of platform updates."""

    async def accept(self, env: Envelope) -> bool:
        """Commit the update; False when its dedupe key was seen before (a platform retry)."""
        return (await self.accept_and_claim(env, None, 0.0, 0.0)).fresh

    @abstractmethod
    async def accept_and_claim(
        self, env: Envelope, owner: str | None, now: float, lease: float
    ) -> Accepted:
        """Commit the update; when its chat has no other pending row, commit it held by
        ``owner`` (if given) until ``now + lease`` and return it claimed."""

    @abstractmethod
    async def claim(
        self, channel: str, chat: str, owner: str, now: float, lease: float
    ) -> Claimed | None:
        """The chat's held row if its lease ended, else its first pending row when nobody
        holds one; only when due."""

    @abstractmethod
    async def answered(
        self, item: int, replies: tuple[Reply, ...], owner: str, lease_until: float
    ) -> None:
        """Keep the core's replies (so a restart sends these, not new ones); renew the lease."""

    @abstractmethod
    async def progress(self, item: int, sent: int, owner: str, lease_until: float) -> None:
        """``sent`` replies are out; renew the lease. LeaseLost if another process took over."""

    @abstractmethod
    async def finish(self, item: int) -> bool:
        """Done: the message text and replies are dropped, the dedupe key stays a while.
        True when the chat has other pending rows (so a drain need not claim to find out)."""

    @abstractmethod
    async def release(self, item: int, not_before: float, error: str, counted: bool) -> int:
        """Give the row back for a later try; ``counted`` failures lead to quarantine. Returns
        the failures counted so far."""

    @abstractmethod
    async def quarantine(self, item: int, reason: str) -> None:
        """Set the row aside (and keep a copy for staff); it no longer holds its chat back."""

    @abstractmethod
    async def due(self, now: float, limit: int = 500) -> list[tuple[str, str]]:
        """(channel, chat) pairs with a pending row that nobody holds and that is due."""

    @abstractmethod
    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Forget the user's rows (by channel and raw chat id)."""

    @abstractmethod
    async def counts(self) -> dict[str, int]:
        """Rows per status."""


def error_text(text: str) -> str:
    """An error text that fits its column."""
    return text[:200]


class MemoryInbox(Inbox):
    """In-memory twin (tests, the terminal chat)."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.quarantined: list[Quarantined] = []
        self._next = 1

    async def accept_and_claim(
        self, env: Envelope, owner: str | None, now: float, lease: float
    ) -> Accepted:
        """Insert unless the dedupe key is known; held by ``owner`` when the chat is idle."""
        key = (env.channel, env.dedupe)
        if any((r["channel"], r["dedupe"]) == key for r in self.rows.values()):
            return Accepted(False)
        idle = not self._pending(env.channel, env.chat)
        held = owner is not None and idle
        row = {
            "channel": env.channel,
            "dedupe": env.dedupe,
            "chat": env.chat,
            "seq": env.seq,
            "status": "pending",
            "message": message_json(env.message),
            "context": dict(env.context),
            "replies": None,
            "sent": 0,
            "owner": owner if held else None,
            "lease_until": now + lease if held else 0.0,
            "not_before": 0.0,
            "attempts": 0,
        }
        item, self._next = self._next, self._next + 1
        self.rows[item] = row
        return Accepted(True, claimed_from_row(item, row) if held else None)

    def _pending(self, channel: str, chat: str) -> list[int]:
        """The chat's pending rows: the held one first, then in platform and arrival order."""
        rows = [
            (r["owner"] is None, r["seq"], i)
            for i, r in self.rows.items()
            if r["channel"] == channel and r["chat"] == chat and r["status"] == "pending"
        ]
        return [i for *_, i in sorted(rows)]

    async def claim(
        self, channel: str, chat: str, owner: str, now: float, lease: float
    ) -> Claimed | None:
        """The held row, else the first pending row, under the same rule as SQL."""
        pending = self._pending(channel, chat)
        if not pending:
            return None
        row = self.rows[pending[0]]
        free = row["owner"] in (None, owner) or row["lease_until"] < now
        if not free or row["not_before"] > now:
            return None
        row.update(owner=owner, lease_until=now + lease)
        return claimed_from_row(pending[0], row)

    def _held(self, item: int, owner: str) -> dict[str, Any]:
        """The row, if this owner still holds it."""
        row = self.rows.get(item)
        if row is None or row["owner"] != owner:
            raise LeaseLost(str(item))
        return row

    async def answered(
        self, item: int, replies: tuple[Reply, ...], owner: str, lease_until: float
    ) -> None:
        """Keep the replies."""
        self._held(item, owner).update(replies=replies_json(replies), lease_until=lease_until)

    async def progress(self, item: int, sent: int, owner: str, lease_until: float) -> None:
        """Count sent replies."""
        self._held(item, owner).update(sent=sent, lease_until=lease_until)

    async def finish(self, item: int) -> bool:
        """Mark done and drop the content; whether the chat has more pending rows."""
        row = self.rows.get(item)
        if row is None:
            return False
        row.update(status="done", message=None, replies=None, context=None, owner=None)
        return bool(self._pending(row["channel"], row["chat"]))

    async def release(self, item: int, not_before: float, error: str, counted: bool) -> int:
        """Back to pending, unowned."""
        row = self.rows[item]
        row.update(owner=None, not_before=not_before, error=error_text(error))
        row["attempts"] += int(counted)
        return int(row["attempts"])

    async def quarantine(self, item: int, reason: str) -> None:
        """Set aside."""
        row = self.rows[item]
        row.update(status="quarantined", owner=None)
        self.quarantined.append(quarantined_copy(row, reason))

    async def due(self, now: float, limit: int = 500) -> list[tuple[str, str]]:
        """Chats with work nobody holds."""
        found = {
            (r["channel"], r["chat"])
            for r in self.rows.values()
            if r["status"] == "pending"
            and r["not_before"] <= now
            and (r["owner"] is None or r["lease_until"] < now)
        }
        return sorted(found)[:limit]

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Drop the user's rows."""
        mine = [
            i
            for i, r in self.rows.items()
            if r["channel"] == user.channel and r["chat"] == user.user_id
        ]
        for i in mine:
            del self.rows[i]
        return len(mine)

    async def counts(self) -> dict[str, int]:
        """Rows per status."""
        out: dict[str, int] = {}
        for r in self.rows.values():
            out[r["status"]] = out.get(r["status"], 0) + 1
        return out


def claimed_from_row(item: int, row: Any) -> Claimed:
    """A row (mapping) → Claimed."""
    replies = row["replies"]
    return Claimed(
        item,
        str(row["chat"]),
        message_from_json(str(row["channel"]), row["message"]),
        dict(row["context"] or {}),
        replies_from_json(replies) if replies is not None else None,
        int(row["sent"]),
        int(row["attempts"]),
    )


def quarantined_copy(row: Any, reason: str) -> Quarantined:
    """The staff copy of a quarantined row."""
    data = {"message": row["message"], "attempts": row["attempts"], "error": row["error"]}
    return Quarantined(
        "inbox", reason, ascii_json(data), str(row["channel"]), None, str(row["chat"])
    )
