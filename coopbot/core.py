"""The channel-agnostic core: ``Core.handle(IncomingMessage) -> list[Reply]``."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from coopbot.config import Settings
from coopbot.dialog import Outcome, Router
from coopbot.dialog.flows.engine import FlowState
from coopbot.dialog.subscribe import SubscriptionDialog, command_payload
from coopbot.knowledge import KnowledgeBase, load_knowledge
from coopbot.messages import IncomingMessage, Reply, UserKey
from coopbot.observe import NullObserver, Observer
from coopbot.privacy import Erasable
from coopbot.retrieval import Retriever
from coopbot.storage.dialogs import (
    AssessmentLog,
    AssessmentRecord,
    DialogStore,
    MemoryAssessmentLog,
    MemoryDialogStore,
    StateConflict,
)
from coopbot.storage.inquiries import InquiryLog, InquiryRecord, MemoryInquiryLog
from coopbot.storage.subscribers import MemorySubscriberStore, SubscriberStore

log = logging.getLogger(__name__)
STATE_ATTEMPTS = 8  # compare-and-set tries when another process wrote the state meanwhile


def pseudonym(user: UserKey, key: bytes) -> str:
    """A stable keyed hash of the user: storage never holds a raw channel id."""
    return hmac.new(key, str(user).encode(), hashlib.sha256).hexdigest()[:32]


@dataclass
class Core:
    """Routes messages, keeps questionnaire state, logs inquiries; returns replies, never sends."""

    kb: KnowledgeBase
    router: Router
    inquiries: InquiryLog
    dialogs: DialogStore = field(default_factory=MemoryDialogStore)
    assessments: AssessmentLog = field(default_factory=MemoryAssessmentLog)
    pseudonym_key: bytes = b"coopbot-dev"
    flow_ttl: float = 24 * 3600.0
    clock: Callable[[], float] = time.time
    base_kb: KnowledgeBase | None = None  # the knowledge/ files, before attached phrasings
    subscribers: SubscriberStore = field(default_factory=MemorySubscriberStore)
    observer: Observer = field(default_factory=NullObserver)
    erasables: list[Erasable] = field(default_factory=list)  # contacts, subscribers, ...
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict, repr=False)

    async def handle(self, msg: IncomingMessage) -> list[Reply]:
        """Replies for one incoming message; never raises. One user's messages run in order."""
        started = time.perf_counter()
        key = pseudonym(msg.user, self.pseudonym_key)
        ref = secrets.token_hex(6)
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:  # in order per user in this process
                outcome = await self._subscription(msg, key, ref) or await self._locked_handle(
                    msg, key, ref
                )
            if outcome.result is not None:
                await self._record_assessment(msg, key, outcome)
        except Exception:  # the reply path must survive any bug: log it, apologise
            log.exception("handling failed for a %s message", msg.user.channel)
            self.observer.failed("core")
            return [Reply(self.kb.messages("error"))]
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._locks.pop(key, None)
        if outcome.erase:
            outcome = await self._erase(msg.user, outcome)
        elif outcome.feedback is not None:
            await self._vote(key, *outcome.feedback)
        else:
            await self._log(msg, key, outcome, ref)
        elapsed = time.perf_counter() - started
        self.observer.handled(
            msg.user.channel, outcome.kind, outcome.confident, outcome.score, elapsed
        )
        return list(outcome.replies)

    async def apply_phrasings(self, extra: Mapping[str, Sequence[str]]) -> None:
        """Answer with the base knowledge plus staff-attached phrasings from now on.

        The index is rebuilt off the event loop and swapped in one assignment, so messages in
        flight finish on the old one."""
        base = self.base_kb or self.kb
        router = await asyncio.to_thread(self._router_for, base.with_phrasings(extra))
        self.base_kb = base
        self.kb, self.router = router.kb, router

    def _router_for(self, kb: KnowledgeBase) -> Router:
        """A router over ``kb`` with the current calibration and limits."""
        old = self.router
        return Router(kb, Retriever(kb, old.retriever.calibration), max_chars=old.max_chars)

    async def _subscription(self, msg: IncomingMessage, key: str, ref: str) -> Outcome | None:
        """Subscription commands and buttons; after /start, the offer to subscribe."""
        dialog = SubscriptionDialog(self.kb, self.subscribers)
        payload = command_payload(msg)
        if payload is not None:
            return Outcome(tuple(await dialog.handle(msg, key, payload)), "subscribe")
        if not (msg.text or "").strip().lower().startswith(("/start", "/batdau")):
            return None
        outcome = await self._locked_handle(msg, key, ref)
        if outcome.kind != "command":
            return outcome
        offer = await dialog.offer(msg)
        return outcome if offer is None else replace(outcome, replies=(*outcome.replies, offer))

    async def erase_user(self, user: UserKey) -> int:
        """Delete everything stored about ``user`` in every store; rows removed."""
        key = pseudonym(user, self.pseudonym_key)
        stores: list[Erasable] = [
            self.inquiries,
            self.dialogs,
            self.assessments,
            self.subscribers,
            *self.erasables,
        ]
        removed = 0
        for store in stores:
            removed += await store.erase_user(user, key)
        return removed

    async def _erase(self, user: UserKey, outcome: Outcome) -> Outcome:
        """Erase on the user's confirmed request; the request itself is not logged."""
        try:
            await self.erase_user(user)
        except Exception:  # report it to the user; staff see the log
            log.exception("erasing a %s user's data failed", user.channel)
            self.observer.failed("erase")
            return replace(outcome, replies=(Reply(self.kb.messages("erase_failed")),))
        return outcome

    def answer(self, text: str) -> Outcome:
        """The outcome for one question, stateless and unlogged (``coopbot ask``)."""
        return self.router.route(IncomingMessage(UserKey("cli", "ask"), text=text))

    async def _locked_handle(self, msg: IncomingMessage, key: str, ref: str) -> Outcome:
        """Handle under the store's cross-process lock, except a message that reads no state and
        writes none (most questions): that one is already consistent without it."""
        if self.dialogs.cross_process_lock:
            outcome = await self._handle(msg, key, ref, read_only=True)
            if outcome is not None:
                return outcome
        async with self.dialogs.locked(key):
            outcome = await self._handle(msg, key, ref)
        assert outcome is not None
        return outcome

    async def _handle(
        self, msg: IncomingMessage, key: str, ref: str, read_only: bool = False
    ) -> Outcome | None:
        """Load state, route, store state; retry if another process wrote meanwhile.
        ``read_only``: None instead of touching a stored state (the caller then locks)."""
        for attempt in range(1, STATE_ATTEMPTS + 1):
            try:
                stored = await self.dialogs.get(key)
            except Exception:  # storage down: still answer questions, just without flow state
                log.exception("dialog state unavailable; answering without it")
                return self.router.route(msg, None, self.clock(), ref)
            state = FlowState.from_json(stored.data) if stored else None
            now = self.clock()
            expired = None
            if state is not None and now - state.updated > self.flow_ttl:
                expired, state = state, None
            outcome = self.router.route(msg, state, now, ref)
            if read_only and (stored is not None or outcome.state_changed):
                return None
            try:
                await self._save(key, stored.version if stored else None, outcome, expired)
            except StateConflict:
                if attempt == STATE_ATTEMPTS:
                    raise
                # exponential backoff with jitter: a writer that keeps losing to a busy one
                # waits long enough (up to ~1.3 s in all) for the other's burst to pass
                await asyncio.sleep(random.uniform(0, 0.005 * 2**attempt))
                continue
            if expired is not None:
                outcome = self._with_expiry_note(outcome, expired)
            return outcome
        raise AssertionError("unreachable")

    async def _record_assessment(self, msg: IncomingMessage, key: str, outcome: Outcome) -> None:
        """Store a finished questionnaire (outside the per-user database lock)."""
        assert outcome.result is not None
        result = outcome.result
        await self.assessments.record(
            AssessmentRecord(
                msg.user.channel, key, result.flow.id, result.answers, result.to_json()
            )
        )

    async def _save(
        self, key: str, version: int | None, outcome: Outcome, expired: FlowState | None
    ) -> None:
        """Persist the questionnaire state the router returned."""
        if outcome.state_changed or expired is not None:
            if outcome.state is not None:
                await self.dialogs.put(key, outcome.state.to_json(), version)
            elif version is not None:
                await self.dialogs.delete(key)

    def _with_expiry_note(self, outcome: Outcome, expired: FlowState) -> Outcome:
        """Tell the user their old questionnaire ended, unless they just started a new one."""
        if outcome.state_changed and outcome.state is not None:
            return outcome
        flow = self.kb.flows.get(expired.flow)
        if flow is None:
            return outcome
        hours = int(self.flow_ttl // 3600)
        note = Reply(
            self.kb.messages("flow_expired", title=flow.title, hours=hours, command=flow.command)
        )
        return Outcome(
            (note, *outcome.replies),
            outcome.kind,
            outcome.normalized,
            outcome.entry_id,
            outcome.score,
            outcome.confident,
            outcome.suggestions,
        )

    async def _vote(self, key: str, ref: str, vote: int) -> None:
        """Store a 👍/👎 on the user's own inquiry; failures are logged, never raised."""
        try:
            if not await self.inquiries.set_feedback(ref, key, vote):
                log.info("feedback for an unknown inquiry")
        except Exception:  # a vote must never break a reply
            log.exception("storing feedback failed")

    async def _log(self, msg: IncomingMessage, key: str, outcome: Outcome, ref: str) -> None:
        """Record the inquiry; failures are logged, never raised."""
        record = InquiryRecord(
            channel=msg.user.channel,
            user_key=key,
            kind=outcome.kind,
            text=msg.text if msg.text is not None else msg.payload,
            normalized=outcome.normalized,
            entry_id=outcome.entry_id,
            score=outcome.score,
            confident=outcome.confident,
            ref=ref,
        )
        try:
            await self.inquiries.record(record)
        except Exception:  # logging must never break a reply
            log.exception("inquiry log failed")


def build_core(
    settings: Settings,
    inquiries: InquiryLog | None = None,
    dialogs: DialogStore | None = None,
    assessments: AssessmentLog | None = None,
    subscribers: SubscriberStore | None = None,
) -> Core:
    """Load knowledge, build retriever and router; the caller owns the stores it passes."""
    kb = load_knowledge(settings.knowledge_dir)
    router = Router(
        kb,
        Retriever(kb),
        max_chars=settings.max_message_chars,
        retention_days=settings.retention_days,
    )
    key = settings.pseudonym_key.get_secret_value().encode() if settings.pseudonym_key else b""
    return Core(
        kb,
        router,
        inquiries or MemoryInquiryLog(),
        dialogs or MemoryDialogStore(),
        assessments or MemoryAssessmentLog(),
        key or b"coopbot-dev",
        flow_ttl=settings.flow_ttl_hours * 3600,
        subscribers=subscribers or MemorySubscriberStore(),
    )
