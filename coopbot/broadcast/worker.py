"""The delivery worker: claims due deliveries, sends them through each channel's ``Sender``.

Run by ``coopbot serve`` as one owned task; several processes may run one each. Pacing is the
sender's job (Telegram: the bot's shared pacer, in bulk mode so interactive replies go
first); the worker keeps up to ``concurrency`` sends in flight and renews its leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from coopbot.broadcast.model import Outcome, SendResult
from coopbot.broadcast.queue import Claimed, DeliveryQueue
from coopbot.storage.channel_state import ContactStore

log = logging.getLogger(__name__)


class Sender(Protocol):
    """The port a channel implements to deliver announcements."""

    channel: str

    async def send(self, chat_id: str, text: str) -> SendResult:
        """Deliver ``text`` to one chat; never raises for channel errors."""


def backoff(attempts: int) -> float:
    """Seconds before retry number ``attempts``: 5, 10, 20 … up to 10 minutes."""
    return float(min(600, 5 * 2 ** max(0, attempts - 1)))


class DeliveryWorker:
    """Owns its loop and its send tasks; ``start()`` once, ``stop()`` cancels everything."""

    def __init__(
        self,
        queue: DeliveryQueue,
        senders: dict[str, Sender],
        contacts: ContactStore,
        footer: str = "",
        concurrency: int = 32,
        poll: float = 1.0,
        max_attempts: int = 5,
    ) -> None:
        self.queue, self.senders, self.contacts = queue, senders, contacts
        self.footer, self.concurrency, self.poll = footer, concurrency, poll
        self.max_attempts = max_attempts
        self._texts: dict[int, str] = {}
        self._inflight: dict[asyncio.Task[None], Claimed] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        """Begin the loop (no-op without senders)."""
        if self.senders and self._task is None:
            self._task = asyncio.create_task(self._run(), name="broadcast-worker")

    def wake(self) -> None:
        """Look for work now (something was just queued in this process)."""
        self._wake.set()

    async def stop(self) -> None:
        """Cancel the loop and in-flight sends; unstarted claims return at lease end."""
        tasks = [t for t in (self._task, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None

    async def _run(self) -> None:
        """Claim, send, repeat; database errors are logged and retried after a pause."""
        renewed = asyncio.get_running_loop().time()
        while True:
            try:
                await self._fill()
                now = asyncio.get_running_loop().time()
                if now - renewed > self.queue.lease / 3:
                    await self.queue.renew({c.claim for c in self._inflight.values()})
                    renewed = now
            except Exception:  # the worker must outlive a database hiccup
                log.exception("broadcast worker: queue error")
            await self._idle()

    async def _fill(self) -> None:
        """Claim more when at most half the slots are busy."""
        free = self.concurrency - len(self._inflight)
        if free < max(1, self.concurrency // 2):
            return
        items = await self.queue.claim(self.senders, free)
        missing = {i.broadcast_id for i in items} - set(self._texts)
        if missing:
            self._texts.update(await self.queue.texts(missing))
        for item in items:
            task = asyncio.create_task(self._deliver(item))
            self._inflight[task] = item
            task.add_done_callback(self._inflight.pop)

    async def _idle(self) -> None:
        """Wait for a send to finish, a wake-up, or the poll interval."""
        self._wake.clear()
        wake: asyncio.Future[Any] = asyncio.ensure_future(self._wake.wait())
        waiters: set[asyncio.Future[Any]] = {*self._inflight, wake}
        try:
            await asyncio.wait(waiters, timeout=self.poll, return_when="FIRST_COMPLETED")
        finally:
            wake.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await wake

    async def _deliver(self, item: Claimed) -> None:
        """Send one delivery and record what happened."""
        try:
            if not await self.queue.start(item):
                return  # cancelled, or the lease was lost
            text = self._texts.get(item.broadcast_id, "")
            body = f"{text}\n\n{self.footer}" if self.footer else text
            result = await self.senders[item.channel].send(item.chat_id, body)
            await self._record(item, result)
        except asyncio.CancelledError:
            raise
        except Exception:  # one bad delivery must not stop the others
            log.exception("broadcast delivery %d failed", item.id)

    async def _record(self, item: Claimed, result: SendResult) -> None:
        """Store the outcome; blocked chats become inactive contacts."""
        if result.outcome is Outcome.SENT:
            await self.queue.finish(item, "sent")
        elif result.outcome is Outcome.BLOCKED:
            await self.queue.finish(item, "blocked", result.detail)
            await self.contacts.set_active(item.channel, item.chat_id, False)
        elif result.outcome is Outcome.RETRY and item.attempts + 1 < self.max_attempts:
            after = result.retry_after or backoff(item.attempts + 1)
            await self.queue.retry(item, after, result.detail)
        else:
            await self.queue.finish(item, "failed", result.detail or "gave up")
