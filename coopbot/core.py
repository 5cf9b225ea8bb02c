"""The channel-agnostic core: ``Core.handle(IncomingMessage) -> list[Reply]``.

Built once at the composition root (``build_core``) and immutable: the dispatcher, the stores
and the observer are fixed; only the live router is swapped when staff attach phrasings.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from coopbot.broadcast.compose import Composer
from coopbot.config import Settings
from coopbot.dialog.conversation import Conversation, LiveRouter
from coopbot.dialog.dispatcher import Dispatcher
from coopbot.dialog.handlers import (
    OfferAfterStart,
    OfficerBroadcasts,
    Privacy,
    Subscriptions,
    Votes,
)
from coopbot.dialog.router import Router, RouterFactory
from coopbot.dialog.smalltalk import SmallTalk
from coopbot.dialog.subscribe import SubscriptionDialog
from coopbot.dialog.turn import Outcome, Turn
from coopbot.errors import StorageUnavailable
from coopbot.knowledge import KnowledgeBase, load_knowledge
from coopbot.messages import IncomingMessage, Reply, UserKey
from coopbot.observe import NullObserver, Observer
from coopbot.privacy import Erasable
from coopbot.storage.db import unavailable
from coopbot.storage.dialogs import (
    AssessmentLog,
    AssessmentRecord,
    DialogStore,
    MemoryAssessmentLog,
    MemoryDialogStore,
)
from coopbot.storage.inquiries import InquiryLog, InquiryRecord, MemoryInquiryLog
from coopbot.storage.subscribers import MemorySubscriberStore, SubscriberStore

log = logging.getLogger(__name__)
DEV_KEY = b"coopbot-dev"


def pseudonym(user: UserKey, key: bytes) -> str:
    """A stable keyed hash of the user: storage never holds a raw channel id."""
    return hmac.new(key, str(user).encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Stores:
    """Every store the core writes to; the caller owns and closes them."""

    inquiries: InquiryLog = field(default_factory=MemoryInquiryLog)
    dialogs: DialogStore = field(default_factory=MemoryDialogStore)
    assessments: AssessmentLog = field(default_factory=MemoryAssessmentLog)
    subscribers: SubscriberStore = field(default_factory=MemorySubscriberStore)
    erasables: tuple[Erasable, ...] = ()  # other stores holding personal data (contacts, …)

    async def erase(self, user: UserKey, user_key: str) -> int:
        """Delete the user from the core's own stores and every other one; rows removed."""
        own: tuple[Erasable, ...] = (
            self.inquiries,
            self.dialogs,
            self.assessments,
            self.subscribers,
        )
        removed = 0
        for store in own + self.erasables:
            removed += await store.erase_user(user, user_key)
        return removed


@dataclass(frozen=True)
class Core:
    """Dispatches messages, logs inquiries and assessments; returns replies, never sends."""

    live: LiveRouter
    dispatcher: Dispatcher
    stores: Stores
    pseudonym_key: bytes = DEV_KEY
    observer: Observer = field(default_factory=NullObserver)
    clock: Callable[[], float] = time.time

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base answering now."""
        return self.live.kb

    @property
    def router(self) -> Router:
        """The router answering now."""
        return self.live.router

    @property
    def inquiries(self) -> InquiryLog:
        """The inquiry log."""
        return self.stores.inquiries

    @property
    def dialogs(self) -> DialogStore:
        """Questionnaire state per user."""
        return self.stores.dialogs

    @property
    def assessments(self) -> AssessmentLog:
        """Finished questionnaires."""
        return self.stores.assessments

    @property
    def subscribers(self) -> SubscriberStore:
        """Announcement subscriptions."""
        return self.stores.subscribers

    def key_of(self, user: UserKey) -> str:
        """The user's pseudonym."""
        return pseudonym(user, self.pseudonym_key)

    async def handle(self, msg: IncomingMessage, strict: bool = False) -> list[Reply]:
        """Replies for one incoming message. A database that does not answer gets "busy, try
        again" (``strict``: StorageUnavailable is raised instead, so a queued message is
        retried later); any other failure an apology and an error in the log."""
        started = time.perf_counter()
        turn = Turn.of(msg, self.key_of(msg.user), secrets.token_hex(6), self.clock())
        try:
            outcome = await self.dispatcher.dispatch(turn)
            if outcome.result is not None:
                await self._record_assessment(turn, outcome)
        except Exception as exc:  # the reply path must survive anything: log it, apologise
            busy = unavailable(exc)
            if busy and strict:
                raise StorageUnavailable(str(exc)) from exc
            if busy:
                log.warning("storage unavailable for a %s message: %s", msg.user.channel, exc)
            else:
                log.exception("handling failed for a %s message", msg.user.channel)
            self.observer.failed("storage" if busy else "core")
            return [Reply(self.kb.messages("busy" if busy else "error"))]
        if outcome.logged:
            await self._log(turn, outcome)
        elapsed = time.perf_counter() - started
        self.observer.handled(
            msg.user.channel, outcome.kind, outcome.confident, outcome.score, elapsed
        )
        return list(outcome.replies)

    async def erase_user(self, user: UserKey) -> int:
        """Delete everything stored about ``user`` in every store; rows removed."""
        return await self.stores.erase(user, self.key_of(user))

    async def apply_phrasings(self, extra: Mapping[str, Sequence[str]]) -> None:
        """Answer with the base knowledge plus staff-attached phrasings from now on."""
        await self.live.apply_phrasings(extra)

    def answer(self, text: str) -> Outcome:
        """What a new user typing ``text`` would receive; stateless and unlogged (``coopbot
        ask``): small talk, an article look-up, an answer, suggestions or "out of scope"."""
        msg = IncomingMessage(UserKey("cli", "ask"), text=text)
        return self.router.route(Turn.of(msg, "ask", "ask", self.clock()), None)

    async def _record_assessment(self, turn: Turn, outcome: Outcome) -> None:
        """Store a finished questionnaire."""
        assert outcome.result is not None
        result = outcome.result
        record = AssessmentRecord(
            turn.msg.user.channel, turn.key, result.flow.id, result.answers, result.to_json()
        )
        await self.stores.assessments.record(record)

    async def _log(self, turn: Turn, outcome: Outcome) -> None:
        """Record the inquiry; failures are logged, never raised."""
        msg = turn.msg
        # an answer opened by a button is no question typed: it gets a kind of its own
        kind = "button" if turn.is_press and outcome.kind in ("faq", "law") else outcome.kind
        record = InquiryRecord(
            channel=msg.user.channel,
            user_key=turn.key,
            kind=kind,
            text=msg.text if msg.text is not None else msg.payload,
            normalized=outcome.normalized,
            entry_id=outcome.entry_id,
            score=outcome.score,
            confident=outcome.confident,
            ref=turn.ref,
            runner_up=outcome.runner_up,
            margin=outcome.margin,
        )
        try:
            await self.stores.inquiries.record(record)
        except Exception:  # logging must never break a reply
            log.exception("inquiry log failed")


def build_core(
    settings: Settings,
    stores: Stores | None = None,
    observer: Observer | None = None,
    composer: Composer | None = None,
    kb: KnowledgeBase | None = None,
    router: Router | None = None,
) -> Core:
    """Load knowledge, build the router (unless one built for ``kb`` with the same settings is
    given) and the dispatcher chain; the caller owns the stores."""
    stores = stores or Stores()
    kb = kb or (router.kb if router else load_knowledge(settings.knowledge_dir))
    factory = RouterFactory(settings.max_message_chars, settings.retention_days)
    live = LiveRouter(factory, kb, router)
    secret = settings.pseudonym_key.get_secret_value().encode() if settings.pseudonym_key else b""
    key = secret or DEV_KEY
    observer = observer or NullObserver()
    officers = frozenset(UserKey("telegram", str(i)) for i in settings.officer_ids)
    subscription = SubscriptionDialog(kb, stores.subscribers)

    async def erase(user: UserKey) -> int:
        return await stores.erase(user, pseudonym(user, key))

    dispatcher = Dispatcher(
        handlers=(
            OfficerBroadcasts(composer, officers),
            Subscriptions(subscription),
            Privacy(kb.messages, erase, observer, SmallTalk(kb.smalltalk, kb.lexicon)),
            Votes(kb.messages, stores.inquiries),
            Conversation(live, stores.dialogs, settings.flow_ttl_hours * 3600),
        ),
        middlewares=(OfferAfterStart(subscription),),
    )
    return Core(live, dispatcher, stores, key, observer)
