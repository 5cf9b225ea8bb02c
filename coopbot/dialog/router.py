"""The conversation's pure part: commands, questionnaire presses and answers, small talk, FAQ.

Pure: the caller loads the user's questionnaire state, passes it in, and stores what comes back.
Button payloads and commands arrive parsed (``Turn``); a press that names an older question or
an older run of a questionnaire is answered as stale, never applied to the current question.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from coopbot.dialog.commands import Command
from coopbot.dialog.flows import engine
from coopbot.dialog.flows.engine import FlowState
from coopbot.dialog.render import answer_reply, suggestions_reply
from coopbot.dialog.smalltalk import SmallTalk
from coopbot.dialog.turn import Outcome, Turn
from coopbot.knowledge.model import KnowledgeBase
from coopbot.messages import Button, Reply
from coopbot.payloads import Answer, FlowControl, OpenEntry, Payload, StartFlow
from coopbot.retrieval import Calibration, Retriever
from coopbot.retrieval.features import contains_sequence
from coopbot.text.normalize import fold, tokens

COMMANDS = {"start": "start", "batdau": "start", "help": "help", "huongdan": "help", "menu": "menu"}
# Words by which a sender speaks of themselves or their group (folded).
SELF_WORDS = frozenset({"toi", "tui", "em", "minh", "chung", "nhom", "bon", "tao", "ta"})


@dataclass(frozen=True)
class RouterFactory:
    """Builds the router at start-up and again for every phrasing reload, with the same limits."""

    max_chars: int = 2000
    retention_days: int = 365
    calibration: Calibration | None = None

    def build(self, kb: KnowledgeBase) -> Router:
        """A router (and its retrieval index) over ``kb``."""
        return Router(kb, Retriever(kb, self.calibration), self.max_chars, self.retention_days)


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

    def route(self, turn: Turn, state: FlowState | None = None) -> Outcome:
        """Decide the replies for one message; ``state`` is the user's questionnaire, if any."""
        out = self._route(turn, state)
        if not out.state_changed:
            out = replace(out, state=state)
        return out

    def _route(self, turn: Turn, state: FlowState | None) -> Outcome:
        """Dispatch on what arrived."""
        say, msg = self.kb.messages, turn.msg
        if turn.command is not None:
            return self._command(turn.command, state, turn.now)
        if turn.is_press:
            return self._press(turn.press, state, turn)
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
        if state is not None:
            return self._in_flow(text, state, turn.now, ref=turn.ref)
        intent = self.smalltalk.intent(text)
        if intent is not None:
            return Outcome((Reply(say(intent)),), "smalltalk")
        return self._question(text, turn)

    def _question(self, text: str, turn: Turn) -> Outcome:
        """An FAQ answer; a questionnaire when the message asks to check the sender."""
        words = self.kb.lexicon.analyze(text)
        flow_id = self._triggered(words)
        faq = self.answer(text, turn.ref)
        if flow_id is None:
            return faq
        if self._wants_check(text, words, flow_id):
            return self._start(flow_id, turn.now)
        offer = Button(self.kb.flows[flow_id].title, StartFlow(flow_id).pack())
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
            reply = answer_reply(best.entry, self.kb, ref)
            second = result.matches[1] if len(result.matches) > 1 else None  # for staff checks
            return Outcome(
                (reply,), "faq", normalized, best.entry.id, score, True,
                runner_up=second.entry.id if second else None,
                margin=round(best.score - second.score, 4) if second else None,
            )  # fmt: skip
        suggest = self.retriever.calibration.suggest
        likely = tuple(m for m in result.matches if m.score >= suggest)
        if likely and result.in_domain:
            ids = tuple(m.entry.id for m in likely)
            reply = suggestions_reply(likely, self.kb)
            entry = best.entry.id if best else None
            return Outcome((reply,), "not_sure", normalized, entry, score, False, ids)
        reply = Reply(self.kb.messages("out_of_scope"))
        return Outcome((reply,), "out_of_scope", normalized, None, score)

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
                title = self.kb.flows[state.flow].title
                prefix = self.kb.messages("flow_reminder", title=title)
                back = engine.ask(self.kb, state, prefix=prefix)
                return replace(faq, replies=faq.replies + back.replies)
        return Outcome(
            step.replies, "flow", state=step.state, state_changed=True, result=step.result
        )

    def _press(self, press: Payload | None, state: FlowState | None, turn: Turn) -> Outcome:
        """A button press; presses of an older question or run are stale."""
        if isinstance(press, StartFlow) and press.flow in self.kb.flows:
            return self._start(press.flow, turn.now)
        if isinstance(press, Answer | FlowControl):
            return self._flow_press(press, state, turn.now)
        if isinstance(press, OpenEntry):
            entry = self.kb.entry(press.entry)
            if entry is not None:
                reply = answer_reply(entry, self.kb, turn.ref)
                return Outcome((reply,), "faq", None, entry.id, 1.0, True)
        return Outcome((Reply(self.kb.messages("unknown_payload")),), "payload")

    def _flow_press(
        self, press: Answer | FlowControl, state: FlowState | None, now: float
    ) -> Outcome:
        """An answer or control button: applied only to the run and question it was shown for."""
        say = self.kb.messages
        if state is None:
            return Outcome((Reply(say("flow_stale_ended")),), "payload")
        if isinstance(press, FlowControl):
            if press.run and press.run != state.run:
                return self._stale(state, now)
            return self._in_flow(f"flow:{press.action}", state, now, payload=True)
        if press.run != state.run or press.step != state.step:
            return self._stale(state, now)
        return self._in_flow(press.value, state, now, payload=True)

    def _stale(self, state: FlowState, now: float) -> Outcome:
        """Say the button belonged to an earlier question, and ask the current one again."""
        step = engine.ask(self.kb, state, prefix=self.kb.messages("flow_stale_press"))
        return Outcome(step.replies, "flow", state=step.state)

    def _command(self, command: Command, state: FlowState | None, now: float) -> Outcome:
        """``/start [deep-link]``, ``/help``, ``/menu``, questionnaire commands and controls."""
        name, say = command.name, self.kb.messages
        if name in self.flow_commands:
            return self._start(self.flow_commands[name], now)
        if state is not None and engine.control_word("/" + name):
            return self._in_flow("/" + name, state, now)
        kind = COMMANDS.get(name)
        arg = command.arg.lower()
        if kind == "start" and arg in self.flow_commands:
            return self._start(self.flow_commands[arg], now)
        if kind == "start":
            privacy = say("start_privacy", days=self.retention_days)
            return Outcome((Reply(say("start"), self._menu()), Reply(privacy)), "command")
        if kind == "help":
            return Outcome((Reply(say("help")),), "command")
        if kind == "menu":
            return Outcome((Reply(say("flow_menu"), self._menu()),), "command")
        return Outcome((Reply(say("unknown_command")),), "command")

    def _menu(self) -> tuple[Button, ...]:
        """One button per questionnaire."""
        return tuple(Button(f.title, StartFlow(f.id).pack()) for f in self.kb.flows.values())
