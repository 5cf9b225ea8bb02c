"""The last handler of the chain: load the user's questionnaire state, route, store the state.

Consistency across processes: on PostgreSQL the store's advisory lock is held from reading the
state to writing it (skipped for a message that neither finds nor writes state); on SQLite the
write is compared-and-set on the state's version and a message that lost the race is routed
again on the fresh state. Ordering within a process is the inbound pipeline's job.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping, Sequence
from dataclasses import replace

from coopbot.dialog.flows.engine import FlowState
from coopbot.dialog.router import Router, RouterFactory
from coopbot.dialog.turn import Outcome, Turn
from coopbot.errors import StorageUnavailable
from coopbot.knowledge.model import KnowledgeBase
from coopbot.messages import Reply
from coopbot.storage.db import unavailable
from coopbot.storage.dialogs import DialogStore, StateConflict, Stored

STATE_ATTEMPTS = 8  # compare-and-set tries when another process wrote the state meanwhile


class LiveRouter:
    """The router answering now. A staff phrasing reload builds a new one with the same factory
    off the event loop and swaps it in with one assignment; messages in flight finish on the old.
    The one mutable cell of the core, on purpose."""

    def __init__(
        self, factory: RouterFactory, kb: KnowledgeBase, router: Router | None = None
    ) -> None:
        self.factory = factory
        self.base_kb = kb  # the knowledge/ files, before attached phrasings
        if router is not None and not factory.made(router, kb):
            raise ValueError("the router given was built for another knowledge base or limits")
        self.router = router or factory.build(kb)  # a router is immutable: cores may share one

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base answering now (with attached phrasings)."""
        return self.router.kb

    async def apply_phrasings(self, extra: Mapping[str, Sequence[str]]) -> None:
        """Answer with the base knowledge plus staff-attached phrasings from now on."""
        if not extra and self.router.kb is self.base_kb:
            return  # nothing attached, nothing applied: the index already is the base one
        kb = self.base_kb.with_phrasings(extra)
        self.router = await asyncio.to_thread(self.factory.build, kb)


class Conversation:
    """Commands, questionnaires, small talk and FAQ over the stored questionnaire state."""

    def __init__(self, live: LiveRouter, dialogs: DialogStore, flow_ttl: float) -> None:
        self.live, self.dialogs, self.flow_ttl = live, dialogs, flow_ttl

    async def __call__(self, turn: Turn) -> Outcome:
        """Always answers."""
        if self.dialogs.cross_process_lock:
            outcome = await self._handle(turn, read_only=True)
            if outcome is not None:
                return outcome
        async with self.dialogs.locked(turn.key):
            outcome = await self._handle(turn)
        assert outcome is not None
        return outcome

    async def _handle(self, turn: Turn, read_only: bool = False) -> Outcome | None:
        """Load state, route, store state; retry if another process wrote meanwhile.
        ``read_only``: None instead of touching a stored state (the caller then locks)."""
        router = self.live.router
        for attempt in range(1, STATE_ATTEMPTS + 1):
            try:
                stored = await self._read(turn.key)
            except Exception as exc:
                if not unavailable(exc):
                    raise
                return self._without_state(turn, router)
            state = FlowState.from_json(stored.data) if stored else None
            expired = None
            if state is not None and turn.now - state.updated > self.flow_ttl:
                expired, state = state, None
            outcome = router.route(turn, state)
            if read_only and (stored is not None or outcome.state_changed):
                return None
            try:
                await self._save(turn.key, stored.version if stored else None, outcome, expired)
            except StateConflict:
                if attempt == STATE_ATTEMPTS:
                    raise
                # exponential backoff with jitter: a writer that keeps losing to a busy one
                # waits long enough (up to ~1.3 s in all) for the other's burst to pass
                await asyncio.sleep(random.uniform(0, 0.005 * 2**attempt))
                continue
            if expired is not None:
                outcome = self._with_expiry_note(router.kb, outcome, expired)
            return outcome
        raise AssertionError("unreachable")

    async def _read(self, key: str) -> Stored | None:
        """The stored state; one immediate retry, because after a database restart the first
        statement fails on a stale pooled connection (the pool is then renewed)."""
        try:
            return await self.dialogs.get(key)
        except Exception as exc:
            if not unavailable(exc):
                raise
            return await self.dialogs.get(key)

    @staticmethod
    def _without_state(turn: Turn, router: Router) -> Outcome:
        """The database is down: a typed question still gets a confident answer or small talk;
        anything that needs the stored state (presses, commands, questionnaire answers) gets
        "busy" rather than a misleading reply."""
        if turn.is_press or turn.command is not None:
            raise StorageUnavailable("dialog state unavailable")
        outcome = router.route(turn, None)
        if outcome.state_changed or not (outcome.confident or outcome.kind == "smalltalk"):
            raise StorageUnavailable("dialog state unavailable")
        return outcome

    async def _save(
        self, key: str, version: int | None, outcome: Outcome, expired: FlowState | None
    ) -> None:
        """Persist the questionnaire state the router returned."""
        if outcome.state_changed or expired is not None:
            if outcome.state is not None:
                await self.dialogs.put(key, outcome.state.to_json(), version)
            elif version is not None:
                await self.dialogs.delete(key)

    def _with_expiry_note(self, kb: KnowledgeBase, outcome: Outcome, expired: FlowState) -> Outcome:
        """Tell the user their old questionnaire ended, unless they just started a new one."""
        if outcome.state_changed and outcome.state is not None:
            return outcome
        flow = kb.flows.get(expired.flow)
        if flow is None:
            return outcome
        hours = int(self.flow_ttl // 3600)
        text = kb.messages("flow_expired", title=flow.title, hours=hours, command=flow.command)
        return replace(outcome, replies=(Reply(text), *outcome.replies))
