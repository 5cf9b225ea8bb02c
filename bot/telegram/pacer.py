"""Pace sends to Telegram's limits: N messages in any one second overall, spacing per chat.

Written by hand: the limiter must mirror Telegram's sliding one-second window exactly, give
interactive replies priority over broadcast sends, and obey a 429's pause; generic rate-limit
libraries offer a token bucket (which bursts past a sliding window) and no priorities.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

JITTER = 0.01  # seconds added to the window, for clock and scheduling noise


@dataclass(slots=True)
class Slot:
    """One send in the window; ``at`` is None while the request is in flight.

    A slot is timed from when the response arrived, not from when the send was allowed: the
    request reached Telegram somewhere in between, so this bound holds however late the event
    loop got round to writing it."""

    at: float | None = None


class Pacer:
    """At most ``per_second`` sends in any window of ``1 + JITTER`` seconds.

    Interactive sends go first: while one waits for a free slot, bulk sends (broadcasts) hold
    back; and bulk sends are spread evenly over the window instead of leaving in bursts, so a
    broadcast at full speed delays a reply by about one slot (1/30 s), not until the next
    burst. Bulk sends to one chat are spaced by ``chat_interval``, any sends to a group by
    ``group_interval``. A 429 pauses everything for its ``retry_after``.
    """

    def __init__(
        self,
        per_second: float = 30.0,
        chat_interval: float = 1.0,
        group_interval: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        jitter: float = JITTER,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = per_second
        self.window = 1.0 + jitter
        self.limit = max(1, int(per_second))
        self.chat_interval, self.group_interval = chat_interval, group_interval
        self.clock, self.sleep = clock, sleep
        self.sent: list[Slot] = []
        self.paused_until = 0.0
        self.last_sent: dict[int, float] = {}
        self.urgent = 0  # interactive sends waiting for a slot
        self.bulk_spacing = self.window / self.limit
        self.last_bulk = -1e9
        self.lock = asyncio.Lock()

    def share(self, workers: int) -> None:
        """Take a 1/``workers`` share of the bot's limit (other processes send too)."""
        self.limit = max(1, int(self.rate // max(1, workers)))
        self.bulk_spacing = self.window / self.limit

    def pause(self, seconds: float) -> None:
        """Stop all sends for ``seconds`` (Telegram said so)."""
        self.paused_until = max(self.paused_until, self.clock() + seconds)

    def _slot_wait(self, now: float) -> float:
        """Seconds until the window has room (0 when it has)."""
        self.sent = [x for x in self.sent if x.at is None or now - x.at < self.window]
        pause = max(0.0, self.paused_until - now)
        if len(self.sent) < self.limit:
            return pause
        finished = sorted(x.at for x in self.sent if x.at is not None)
        must_expire = len(self.sent) - self.limit
        if must_expire < len(finished):
            return max(finished[must_expire] + self.window - now, pause, 0.001)
        return max(0.005, pause)  # the window is full of sends in flight: look again shortly

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int, bulk: bool = False) -> AsyncIterator[None]:
        """Hold a slot for one request: wait for room, send, then time the slot from the end."""
        taken = await self.acquire(chat_id, bulk, in_flight=True)
        try:
            yield
        finally:
            taken.at = self.clock()

    async def acquire(self, chat_id: int, bulk: bool = False, in_flight: bool = False) -> Slot:
        """Wait for room to send to ``chat_id``; the slot is timed now unless ``in_flight``."""
        interval = self.group_interval if chat_id < 0 else (self.chat_interval if bulk else 0.0)
        waiting = False
        try:
            while True:
                async with self.lock:
                    now = self.clock()
                    slot = self._slot_wait(now)
                    chat = self.last_sent.get(chat_id, -1e9) + interval - now
                    if bulk:
                        chat = max(chat, self.last_bulk + self.bulk_spacing - now)
                    yield_to_urgent = bulk and self.urgent > 0
                    if slot <= 0 and chat <= 0 and not yield_to_urgent:
                        if bulk:
                            self.last_bulk = now
                        return self._take(chat_id, now, in_flight)
                    if not bulk and slot > 0 and not waiting:
                        waiting, self.urgent = True, self.urgent + 1
                    wait = max(slot, chat, 0.001 if yield_to_urgent else 0.0)
                await self.sleep(min(wait, 5.0))
        finally:
            if waiting:
                self.urgent -= 1

    def _take(self, chat_id: int, now: float, in_flight: bool) -> Slot:
        """Record a send."""
        taken = Slot(None if in_flight else now)
        self.sent.append(taken)
        self.last_sent[chat_id] = now
        if len(self.last_sent) > 100_000:
            self.last_sent.clear()
        return taken
