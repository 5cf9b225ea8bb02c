"""Route a message: command → active questionnaire → button payload → small talk → FAQ → fallback.

Pure: the caller loads the user's questionnaire state, passes it in, and stores what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from coopbot.dialog.flows import engine
from coopbot.dialog.flows.engine import FlowState
from coopbot.dialog.flows.evaluate import FlowResult
from coopbot.dialog.render import FAQ_PAYLOAD, FEEDBACK, answer_reply, suggestions_reply
from coopbot.dialog.smalltalk import SmallTalk
from coopbot.knowledge.model import KnowledgeBase
from coopbot.messages import Button, IncomingMessage, Reply
from coopbot.retrieval import Retriever
from coopbot.retrieval.features import contains_sequence
from coopbot.text.normalize import fold, tokens

COMMANDS = {"start": "start", "batdau": "start", "help": "help", "huongdan": "help", "menu": "menu"}
START_FLOW = "flow:start:"
ERASE_COMMAND = "xoadulieu"
ERASE_YES, ERASE_NO = "erase:yes", "erase:no"
# Words by which a sender speaks of themselves or their group (folded).
SELF_WORDS = frozenset({"toi", "tui", "em", "minh", "chung", "nhom", "bon", "tao", "ta"})


@dataclass(frozen=True)
class Outcome:
    """Replies, the questionnaire state to keep, and what the inquiry log keeps."""

    replies: tuple[Reply, ...]
    kind: str
    normalized: str | None = None
    entry_id: str | None = None
    score: float | None = None
    confident: bool = False
    suggestions: tuple[str, ...] = field(default_factory=tuple)
    state: FlowState | None = None
    state_changed: bool = False
    result: FlowResult | None = None
    feedback: tuple[str, int] | None = None  # (inquiry ref, +1 or -1) to store
    erase: bool = False  # the user confirmed /xoadulieu: the core deletes their data


class Router:
    """Pure routing over the knowledge base; no I/O."""

    def __init__(
        self,
        kb: KnowledgeBase,
        retriever: Retriever,
        max_chars: int = 2000,
        retention_days: int = 365,
    ) -> None:
        self.kb = kb
        self.retention_days = retention_days
        self.retriever = retriever
        self.smalltalk = SmallTalk(kb.smalltalk, kb.lexicon)
        self.max_chars = max_chars
        self.flow_commands = {f.command: f.id for f in kb.flows.values()}
        self.triggers = [
            (kb.lexicon.analyze(t), f.id) for f in kb.flows.values() for t in f.triggers
        ]

    def route(
        self,
        msg: IncomingMessage,
        state: FlowState | None = None,
        now: float = 0.0,
        ref: str | None = None,
    ) -> Outcome:
        """Decide the replies for one message; ``state`` is the user's questionnaire, if any;
        ``ref`` names this inquiry on 👍/👎 buttons."""
        out = self._route(msg, state, now, ref)
        if not out.state_changed:
            out = replace(out, state=state)
        return out

    def _route(
        self, msg: IncomingMessage, state: FlowState | None, now: float, ref: str | None
    ) -> Outcome:
        """Dispatch on what arrived."""
        say = self.kb.messages
        if msg.payload is not None:
            return self._payload(msg.payload, state, now, ref)
        if msg.kind == "edited":
            return Outcome((Reply(say("edited")),), "non_text")
        if msg.kind != "text" or msg.text is None:
            return Outcome((Reply(say("non_text")),), "non_text")
        text = msg.text.strip()
        if not text:
            return Outcome((Reply(say("empty")),), "empty")
        if len(text) > self.max_chars:
            reply = say("too_long", length=len(text), limit=self.max_chars)
            return Outcome((Reply(reply),), "too_long")
        if text.startswith("/"):
            return self._command(text, state, now)
        if state is not None:
            return self._in_flow(text, state, now, ref=ref)
        intent = self.smalltalk.intent(text)
        if intent is not None:
            return Outcome((Reply(say(intent)),), "smalltalk")
        words = self.kb.lexicon.analyze(text)
        flow_id = self._triggered(words)
        if flow_id is None:
            return self.answer(text, ref)
        faq = self.answer(text, ref)
        if self._wants_check(text, words, flow_id):
            return self._start(flow_id, now)
        offer = Button(self.kb.flows[flow_id].title, START_FLOW + flow_id)
        first = faq.replies[0]
        return replace(
            faq, replies=(replace(first, buttons=(*first.buttons, offer)), *faq.replies[1:])
        )

    def answer(self, text: str, ref: str | None = None) -> Outcome:
        """FAQ search: the answer, suggestions, or the out-of-scope reply."""
        result = self.retriever.search(text)
        best = result.best
        normalized = " ".join(result.analysed)
        score = round(result.confidence, 4) if best else None
        if best and result.confident:
            return Outcome(
                (answer_reply(best.entry, self.kb, ref),),
                "faq",
                normalized,
                best.entry.id,
                score,
                True,
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

    def _triggered(self, words: list[str]) -> str | None:
        """The flow whose trigger phrase the analysed message contains."""
        hits = (fid for phrase, fid in self.triggers if contains_sequence(words, phrase))
        return next(hits, None)

    def _wants_check(self, text: str, words: list[str], flow_id: str) -> bool:
        """Start the questionnaire, rather than answer, when the message is little more than
        its trigger ("tự đánh giá") or asks to check the sender ("nhóm tôi đủ điều kiện chưa?").
        Other questions that mention the topic get their answer and a button to start."""
        longest = max(
            (len(p) for p, fid in self.triggers if fid == flow_id and contains_sequence(words, p)),
            default=0,
        )
        if len(words) <= longest + 1:
            return True
        raw = [fold(t) for t in tokens(text)]
        checking = contains_sequence(raw, ["kiem", "tra"]) or (
            "du" in raw and contains_sequence(raw, ["dieu", "kien"])
        )
        return checking and bool(set(raw) & SELF_WORDS)

    def _start(self, flow_id: str, now: float) -> Outcome:
        """Begin a questionnaire (replacing any other)."""
        step = engine.start(self.kb, flow_id, now)
        return Outcome(step.replies, "flow", state=step.state, state_changed=True)

    def _in_flow(
        self,
        text: str,
        state: FlowState,
        now: float,
        payload: bool = False,
        ref: str | None = None,
    ) -> Outcome:
        """An answer, a control word, or a question asked in the middle of a questionnaire."""
        step = engine.advance(self.kb, state, text, payload, now)
        if not step.understood and not payload:
            faq = self.answer(text, ref)
            if faq.confident:
                back = engine.ask(
                    self.kb,
                    state,
                    prefix=self.kb.messages("flow_reminder", title=self.kb.flows[state.flow].title),
                )
                return replace(faq, replies=faq.replies + back.replies)
        return Outcome(
            step.replies, "flow", state=step.state, state_changed=True, result=step.result
        )

    def _payload(
        self, payload: str, state: FlowState | None, now: float, ref: str | None = None
    ) -> Outcome:
        """A button press."""
        if payload.startswith(FEEDBACK) and payload[3:5] in ("+:", "-:") and len(payload) > 5:
            vote = 1 if payload[3] == "+" else -1
            thanks = self.kb.messages("feedback_thanks" if vote > 0 else "feedback_sorry")
            return Outcome((Reply(thanks),), "feedback", feedback=(payload[5:], vote))
        if payload in (ERASE_YES, ERASE_NO):
            done = payload == ERASE_YES
            reply = Reply(self.kb.messages("erase_done" if done else "erase_cancelled"))
            return Outcome((reply,), "erase" if done else "command", erase=done)
        if payload.startswith(START_FLOW) and payload[len(START_FLOW) :] in self.kb.flows:
            return self._start(payload[len(START_FLOW) :], now)
        if state is not None and payload.startswith(("a:", "flow:")):
            return self._in_flow(payload, state, now, payload=True)
        if payload.startswith(FAQ_PAYLOAD):
            entry = self.kb.entry(payload[len(FAQ_PAYLOAD) :])
            if entry is not None:
                reply = answer_reply(entry, self.kb, ref)
                return Outcome((reply,), "faq", None, entry.id, 1.0, True)
        if payload.startswith("cmd:"):
            return self._command("/" + payload[4:], state, now)
        return Outcome((Reply(self.kb.messages("unknown_payload")),), "payload")

    def _command(self, text: str, state: FlowState | None, now: float) -> Outcome:
        """``/start [deep-link]``, ``/help``, ``/menu``, questionnaire commands and controls."""
        name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        say = self.kb.messages
        if name in self.flow_commands:
            return self._start(self.flow_commands[name], now)
        if state is not None and engine.control_word("/" + name):
            return self._in_flow("/" + name, state, now)
        command = COMMANDS.get(name)
        arg = text.split(maxsplit=1)[1].strip().lower() if " " in text.strip() else ""
        if command == "start" and arg in self.flow_commands:
            return self._start(self.flow_commands[arg], now)
        if command == "start":
            privacy = say("start_privacy", days=self.retention_days)
            return Outcome((Reply(say("start"), self._menu()), Reply(privacy)), "command")
        if name == ERASE_COMMAND:
            buttons = (Button(say("erase_yes"), ERASE_YES), Button(say("erase_no"), ERASE_NO))
            return Outcome((Reply(say("erase_confirm"), buttons),), "command")
        if command == "help":
            return Outcome((Reply(say("help")),), "command")
        if command == "menu":
            return Outcome((Reply(say("flow_menu"), self._menu()),), "command")
        return Outcome((Reply(say("unknown_command")),), "command")

    def _menu(self) -> tuple[Button, ...]:
        """One button per questionnaire."""
        return tuple(Button(f.title, START_FLOW + f.id) for f in self.kb.flows.values())
