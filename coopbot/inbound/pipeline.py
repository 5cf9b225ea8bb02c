"""The inbound pipeline every channel feeds (Rasa's shape: input channels translate, one
processor handles).

Webhook and polling channels call ``accept``: the update and its dedupe key are committed to
the inbox before the platform gets its 200 (already leased to this process when its chat has
nothing else pending, so the usual message needs no separate claim), then the chat's rows are
worked off in order — contact bookkeeping, the channel's ``prepare`` (translation that needs
per-chat state), the core, replies kept in the row, sending with retry, observation.
Synchronous channels (``/api/chat``, the terminal) call ``handle_now``: their reply is their
acknowledgement. Text is sanitised here, once, for all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from coopbot.broadcast.model import Outcome, SendResult
from coopbot.core import Core
from coopbot.inbound.envelope import Envelope
from coopbot.inbound.ordering import PerKey
from coopbot.messages import IncomingMessage, Reply, UserKey
from coopbot.storage.channel_state import ContactStore
from coopbot.storage.db import unavailable
from coopbot.storage.inbox import Claimed, Inbox, LeaseLost
from coopbot.text.sanitize import clean, clean_id

log = logging.getLogger(__name__)


class ReplySender(Protocol):
    """A channel's outgoing side, as the pipeline uses it."""

    channel: str

    async def prepare(self, item: Claimed) -> IncomingMessage | None:
        """The message to hand the core, given per-chat state (None: nothing to answer)."""

    async def send(self, chat: str, reply: Reply, context: Mapping[str, Any]) -> SendResult:
        """Send one reply; never raises for the platform's errors."""


@dataclass(frozen=True)
class PipelineConfig:
    """Knobs of the inbox workers."""

    lease: float = 30.0  # seconds a claimed row is ours; renewed at every step
    sweep: float = 5.0  # seconds between looks for rows nobody is working on
    max_attempts: int = 3  # failures before a row is quarantined
    concurrency: int = 32  # chats worked on at once
    grace: float = 5.0  # seconds to finish work at shutdown


def clean_message(msg: IncomingMessage) -> IncomingMessage:
    """The message with its text, payload and user id sanitised."""
    user = UserKey(msg.user.channel, clean_id(msg.user.user_id))
    text = clean(msg.text) if msg.text is not None else None
    payload = clean(msg.payload) if msg.payload is not None else None
    return replace(msg, user=user, text=text, payload=payload)


class Pipeline:
    """Inbox, per-chat order, core, senders; owns its background tasks."""

    def __init__(
        self,
        core: Core,
        inbox: Inbox,
        senders: Mapping[str, ReplySender],
        contacts: ContactStore,
        config: PipelineConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.core, self.inbox, self.senders, self.contacts = core, inbox, senders, contacts
        self.config = config or PipelineConfig()
        self.clock = clock
        self.owner = secrets.token_hex(8)
        self.order = PerKey()
        self._limit = asyncio.Semaphore(self.config.concurrency)
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._dirty: set[tuple[str, str]] = set()  # chats where a claim may find a row
        self._ready: dict[tuple[str, str], Claimed] = {}  # rows the inbox handed over held
        self._active: set[tuple[str, str]] = set()  # contacts known active (one write each)
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False
        self._down = False  # the database was unreachable at the last sweep

    async def start(self) -> None:
        """Finish what earlier runs left, then keep looking for orphaned rows."""
        if self._sweeper is None and self.senders:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="inbox-sweeper")

    async def close(self) -> None:
        """Stop taking work, let running chats finish (bounded), cancel the rest. Unfinished
        rows stay in the inbox: the next start, or another worker, finishes them."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        tasks = list(self._tasks.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.config.grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def handle_now(self, msg: IncomingMessage) -> list[Reply]:
        """A synchronous channel's message: in order per user, answered at once."""
        msg = clean_message(msg)
        async with self.order.hold(str(msg.user)):
            replies = await self.core.handle(msg)
        for _ in replies:
            self.core.observer.sent(msg.user.channel, "sent")
        return replies

    async def accept(self, env: Envelope) -> bool:
        """Commit an update (raises when the database is down: do not acknowledge then);
        False for a duplicate. The chat's work starts right after."""
        env = replace(
            env,
            dedupe=clean_id(env.dedupe, 64),
            chat=clean_id(env.chat, 64),
            message=clean_message(env.message),
        )
        if self._closing or env.channel not in self.senders:
            fresh = await self.inbox.accept(env)
            if fresh:
                self.schedule(env.channel, env.chat)
            return fresh
        accepted = await self.inbox.accept_and_claim(
            env, self.owner, self.clock(), self.config.lease
        )
        if accepted.claimed is not None:
            await self._start(env.channel, accepted.claimed)
        elif accepted.fresh:
            self.schedule(env.channel, env.chat)
        return accepted.fresh

    async def _start(self, channel: str, item: Claimed) -> None:
        """Work on a row the inbox handed over already held (its chat was idle)."""
        if self._closing:  # no work starts now: give the row back at once
            await self.inbox.release(item.id, self.clock(), "shutting down", False)
            return
        key = (channel, item.chat)
        self._ready[key] = item
        self._wake(key)

    def schedule(self, channel: str, chat: str) -> None:
        """Work off the chat's pending rows (one worker task per chat)."""
        key = (channel, chat)
        self._dirty.add(key)
        self._wake(key)

    def _wake(self, key: tuple[str, str]) -> None:
        """Start the chat's worker task unless it runs already."""
        if key not in self._tasks and not self._closing:
            self._tasks[key] = asyncio.create_task(self._drain(key), name=f"inbox:{key[0]}")

    async def join(self) -> None:
        """Wait until no chat has work running (tests, benchmarks)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def _drain(self, key: tuple[str, str]) -> None:
        """Process the chat's rows, oldest first: the one handed over, then claimed ones while
        a claim may find something (``_dirty``)."""
        channel, chat = key
        try:
            async with self._limit, self.order.hold(f"{channel}:{chat}"):
                while not self._closing:
                    item = self._ready.pop(key, None)
                    if item is None:
                        if key not in self._dirty:
                            break
                        self._dirty.discard(key)
                        now = self.clock()
                        item = await self.inbox.claim(
                            channel, chat, self.owner, now, self.config.lease
                        )
                        if item is None:
                            continue
                    await self._process(channel, item)
        except Exception as exc:  # the claim itself failed: the sweeper tries again later
            if unavailable(exc):
                log.warning("inbox unavailable for a %s chat: %s", channel, exc)
            else:
                log.exception("working off a %s chat failed", channel)
        finally:
            self._tasks.pop(key, None)

    async def _process(self, channel: str, item: Claimed) -> None:
        """Answer one row and send its replies; failures are retried, then quarantined."""
        try:
            await self._answer_and_send(channel, item)
        except LeaseLost:
            log.warning("another worker took over a %s row", channel)
        except Exception as exc:
            await self._failed(channel, item, exc)
            self._dirty.add((channel, item.chat))  # quarantined, or due later: look again

    async def _answer_and_send(self, channel: str, item: Claimed) -> None:
        """The core's replies (computed once, kept in the row), then every reply not yet sent."""
        sender = self.senders[channel]
        replies = item.replies
        if replies is None:
            replies = await self._answer(channel, sender, item)
            await self.inbox.answered(item.id, replies, self.owner, self._lease())
        sent = item.sent
        for reply in replies[sent:]:
            result = await sender.send(item.chat, reply, item.context)
            self.core.observer.sent(channel, result.outcome.value)
            if result.outcome is Outcome.RETRY:
                wait = result.retry_after or min(300.0, 2.0 * 2**item.attempts)
                await self.inbox.release(item.id, self.clock() + wait, result.detail, False)
                return
            if result.outcome is not Outcome.SENT:  # blocked, or refused as malformed (logged)
                self._active.discard((channel, item.chat))
                break
            sent += 1
            if sent < len(replies):  # the last one needs no count: the row is finished next
                await self.inbox.progress(item.id, sent, self.owner, self._lease())
        await self._finish(channel, item)

    async def _finish(self, channel: str, item: Claimed) -> None:
        """Mark the row done; the chat needs another claim only if rows wait behind it. Any
        row committed before the finish is counted by it, later ones set ``_dirty`` again."""
        key = (channel, item.chat)
        self._dirty.discard(key)
        if await self.inbox.finish(item.id):
            self._dirty.add(key)

    async def _answer(self, channel: str, sender: ReplySender, item: Claimed) -> tuple[Reply, ...]:
        """Contact bookkeeping, the channel's translation, then the core."""
        if item.message.kind == "unfollow":
            await self.contacts.set_active(channel, item.chat, False)
            self._active.discard((channel, item.chat))
            return ()
        if (channel, item.chat) not in self._active:
            await self.contacts.set_active(channel, item.chat, True)
            self._active.add((channel, item.chat))
        msg = await sender.prepare(item)
        if msg is None:
            return ()
        return tuple(await self.core.handle(msg, strict=True))

    async def _failed(self, channel: str, item: Claimed, exc: Exception) -> None:
        """A database outage is retried without counting; anything else counts toward
        quarantine, so one bad row never blocks its chat for long, nor anyone else."""
        now = self.clock()
        if unavailable(exc):
            log.warning("database unavailable while handling a %s row: %s", channel, exc)
            with contextlib.suppress(Exception):  # if this fails too, the lease runs out
                await self.inbox.release(item.id, now + 2.0, "database unavailable", False)
            return
        log.exception("handling a %s row failed (attempt %d)", channel, item.attempts + 1)
        reason = f"{type(exc).__name__}: {exc}"
        attempts = await self.inbox.release(item.id, now + 2.0**item.attempts, reason, True)
        if attempts >= self.config.max_attempts:
            await self.inbox.quarantine(item.id, reason)
            self.core.observer.quarantined("inbox")
            log.error("quarantined a %s row after %d failures: %s", channel, attempts, reason)

    def _lease(self) -> float:
        """A renewed lease end."""
        return self.clock() + self.config.lease

    async def _sweep_forever(self) -> None:
        """Start work for every chat with rows nobody holds: at start, then every few seconds."""
        while True:
            try:
                for channel, chat in await self.inbox.due(self.clock()):
                    if channel in self.senders:
                        self.schedule(channel, chat)
                if self._down:
                    log.info("inbox reachable again")
                self._down = False
            except Exception as exc:  # log an outage once, not every sweep
                if not self._down:
                    log.warning("inbox sweep failed: %s", exc)
                self._down = True
            await asyncio.sleep(self.config.sweep)
