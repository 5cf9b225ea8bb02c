"""Route a message: command → button payload → small talk → FAQ → fallback."""

from __future__ import annotations

from dataclasses import dataclass, field

from coopbot.dialog.render import FAQ_PAYLOAD, answer_reply, suggestions_reply
from coopbot.dialog.smalltalk import SmallTalk
from coopbot.knowledge.model import KnowledgeBase
from coopbot.messages import IncomingMessage, Reply
from coopbot.retrieval import Retriever

COMMANDS = {"start": "start", "batdau": "start", "help": "help", "huongdan": "help"}


@dataclass(frozen=True)
class Outcome:
    """Replies plus what the inquiry log keeps about the message."""

    replies: tuple[Reply, ...]
    kind: str
    normalized: str | None = None
    entry_id: str | None = None
    score: float | None = None
    confident: bool = False
    suggestions: tuple[str, ...] = field(default_factory=tuple)


class Router:
    """Pure routing over the knowledge base; no I/O."""

    def __init__(self, kb: KnowledgeBase, retriever: Retriever, max_chars: int = 2000) -> None:
        self.kb = kb
        self.retriever = retriever
        self.smalltalk = SmallTalk(kb.smalltalk, kb.lexicon)
        self.max_chars = max_chars

    def route(self, msg: IncomingMessage) -> Outcome:
        """Decide the replies for one message."""
        say = self.kb.messages
        if msg.payload is not None:
            return self._payload(msg.payload)
        if msg.kind != "text" or msg.text is None:
            return Outcome((Reply(say("non_text")),), "non_text")
        text = msg.text.strip()
        if not text:
            return Outcome((Reply(say("empty")),), "empty")
        if len(text) > self.max_chars:
            reply = say("too_long", length=len(text), limit=self.max_chars)
            return Outcome((Reply(reply),), "too_long")
        if text.startswith("/"):
            return self._command(text)
        intent = self.smalltalk.intent(text)
        if intent is not None:
            return Outcome((Reply(say(intent)),), "smalltalk")
        return self.answer(text)

    def answer(self, text: str) -> Outcome:
        """FAQ search: the answer, suggestions, or the out-of-scope reply."""
        result = self.retriever.search(text)
        best = result.best
        normalized = " ".join(result.analysed)
        score = round(result.confidence, 4) if best else None
        if best and result.confident:
            return Outcome(
                (answer_reply(best.entry, self.kb),), "faq", normalized, best.entry.id, score, True
            )
        suggest = self.retriever.calibration.suggest
        likely = tuple(m for m in result.matches if m.score >= suggest)
        if likely and result.in_domain:
            ids = tuple(m.entry.id for m in likely)
            reply = suggestions_reply(likely, self.kb)
            return Outcome(
                (reply,), "not_sure", normalized, best.entry.id if best else None, score, False, ids
            )
        return Outcome(
            (Reply(self.kb.messages("out_of_scope")),), "out_of_scope", normalized, None, score
        )

    def _payload(self, payload: str) -> Outcome:
        """A button press."""
        if payload.startswith(FAQ_PAYLOAD):
            entry = self.kb.entry(payload[len(FAQ_PAYLOAD) :])
            if entry is not None:
                return Outcome((answer_reply(entry, self.kb),), "faq", None, entry.id, 1.0, True)
        if payload.startswith("cmd:"):
            return self._command("/" + payload[4:])
        return Outcome((Reply(self.kb.messages("unknown_payload")),), "payload")

    def _command(self, text: str) -> Outcome:
        """``/start [deep-link]``, ``/help`` and aliases; ``/start@botname`` works too."""
        name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        command = COMMANDS.get(name)
        say = self.kb.messages
        if command == "start":
            return Outcome((Reply(say("start")), Reply(say("start_privacy"))), "command")
        if command == "help":
            return Outcome((Reply(say("help")),), "command")
        return Outcome((Reply(say("unknown_command")),), "command")
