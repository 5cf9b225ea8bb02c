"""The channel-agnostic core: ``Core.handle(IncomingMessage) -> list[Reply]``."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass

from coopbot.config import Settings
from coopbot.dialog import Outcome, Router
from coopbot.knowledge import KnowledgeBase, load_knowledge
from coopbot.messages import IncomingMessage, Reply, UserKey
from coopbot.retrieval import Retriever
from coopbot.storage.inquiries import InquiryLog, InquiryRecord, MemoryInquiryLog

log = logging.getLogger(__name__)


def pseudonym(user: UserKey, key: bytes) -> str:
    """A stable keyed hash of the user: the log never holds a raw channel id."""
    return hmac.new(key, str(user).encode(), hashlib.sha256).hexdigest()[:32]


@dataclass
class Core:
    """Routes messages and logs every inquiry; returns replies, never sends them."""

    kb: KnowledgeBase
    router: Router
    inquiries: InquiryLog
    pseudonym_key: bytes = b"coopbot-dev"

    async def handle(self, msg: IncomingMessage) -> list[Reply]:
        """Replies for one incoming message; never raises."""
        started = time.perf_counter()
        try:
            outcome = self.router.route(msg)
        except Exception:  # the reply path must survive any bug: log it, apologise
            log.exception("routing failed for a %s message", msg.user.channel)
            return [Reply(self.kb.messages("error"))]
        await self._log(msg, outcome)
        log.debug("handled %s in %.1f ms", outcome.kind, (time.perf_counter() - started) * 1000)
        return list(outcome.replies)

    def answer(self, text: str) -> Outcome:
        """The outcome for one question, without logging (``coopbot ask``)."""
        return self.router.route(IncomingMessage(UserKey("cli", "ask"), text=text))

    async def _log(self, msg: IncomingMessage, outcome: Outcome) -> None:
        """Record the inquiry; failures are logged, never raised."""
        record = InquiryRecord(
            channel=msg.user.channel,
            user_key=pseudonym(msg.user, self.pseudonym_key),
            kind=outcome.kind,
            text=msg.text if msg.text is not None else msg.payload,
            normalized=outcome.normalized,
            entry_id=outcome.entry_id,
            score=outcome.score,
            confident=outcome.confident,
        )
        try:
            await self.inquiries.record(record)
        except Exception:  # logging must never break a reply
            log.exception("inquiry log failed")


def build_core(settings: Settings, inquiries: InquiryLog | None = None) -> Core:
    """Load knowledge, build the retriever and router; the caller owns ``inquiries``."""
    kb = load_knowledge(settings.knowledge_dir)
    router = Router(kb, Retriever(kb), max_chars=settings.max_message_chars)
    key = settings.pseudonym_key.get_secret_value().encode() if settings.pseudonym_key else b""
    return Core(kb, router, inquiries or MemoryInquiryLog(), key or b"coopbot-dev")
