"""The conversation's pure part: commands, questionnaire presses and answers, small talk, FAQ.

Pure: the caller loads the user's questionnaire state, passes it in, and stores what comes back.
Button payloads and commands arrive parsed (``Turn``); a press that names an older question or
an older run of a questionnaire is answered as stale, never applied to the current question.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from coopbot.dialog.commands import Command
from coopbot.dialog.compose import Composer
from coopbot.dialog.flows import engine
from coopbot.dialog.flows.engine import FlowState
from coopbot.dialog.flows.questions import size
from coopbot.dialog.law import LawDesk
from coopbot.dialog.render import answer_reply
from coopbot.dialog.smalltalk import SmallTalk
from coopbot.dialog.turn import Outcome, Turn
from coopbot.knowledge.model import KnowledgeBase
from coopbot.memory import release_free_memory
from coopbot.messages import Button, Reply
from coopbot.payloads import Answer, FlowControl, OpenEntry, Page, Payload, RunCommand, StartFlow
from coopbot.retrieval import Calibration, Retriever
from coopbot.retrieval.features import contains_sequence
from coopbot.retrieval.select import Selector
from coopbot.text.normalize import fold, tokens

COMMANDS = {"start": "start", "batdau": "start", "help": "help", "huongdan": "help", "menu": "menu"}
LATER = "desau"  # the command behind "Để sau" on a questionnaire offer
LONG_FLOW = 8  # a questionnaire with more questions is offered (what, how long) before it starts
# Words by which a sender speaks of themselves or their group (folded).
SELF_WORDS = frozenset({"toi", "tui", "em", "minh", "chung", "nhom", "bon", "tao", "ta"})


@dataclass(frozen=True)
class RouterFactory:
    """Builds the router at start-up and again for every phrasing reload, with the same limits."""

    max_chars: int = 2000
    retention_days: int = 365
    calibration: Calibration | None = None

    def build(self, kb: KnowledgeBase) -> Router:
        """A router (and its retrieval index) over ``kb``; the build's scratch memory is given
        back to the OS (it would otherwise stay resident in every worker)."""
        router = Router(kb, Retriever(kb, self.calibration), self.max_chars, self.retention_days)
        release_free_memory()
        return router

    def made(self, router: Router, kb: KnowledgeBase) -> bool:
        """Whether ``router`` is what ``build(kb)`` would make (so it can be shared)."""
        return (
            router.kb is kb
            and (router.max_chars, router.retention_days) == (self.max_chars, self.retention_days)
            and (self.calibration is None or router.retriever.calibration is self.calibration)
        )


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
        self.selector = Selector(retriever)
        self.law = LawDesk.build(kb)
        self.composer = Composer(kb, retriever.calibration, self.law)
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
        intent = self._intent(text)
        if intent is not None:
            return self._smalltalk(intent)
        return self._question(text, turn)

    def _question(self, text: str, turn: Turn) -> Outcome:
        """An article look-up; an FAQ answer; a questionnaire when the message asks to check
        the sender."""
        ref = self.law.reference(text)
        if ref is not None:
            return self.law.lookup(ref)
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
        """Understand the message and answer each part it asks, or say what is unsure."""
        return self.composer.outcome(self.selector.select(text), ref)

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
        """A typed trigger or a button: begin a short questionnaire; a long one is first offered
        (what it is for, how many questions, about how long) with "Bắt đầu" / "Để sau"."""
        flow = self.kb.flows[flow_id]
        if size(flow)[0] <= LONG_FLOW:
            return self._begin(flow_id, now)
        say = self.kb.messages
        text = say(
            "flow_offer",
            title=flow.title,
            purpose=flow.purpose,
            size=self._size(flow_id),
            command=flow.command,
        )
        buttons = (
            Button(say("flow_start_button"), RunCommand(flow.command).pack()),
            Button(say("flow_later_button"), RunCommand(LATER).pack()),
        )
        return Outcome((Reply(text, buttons),), "command")

    def _begin(self, flow_id: str, now: float) -> Outcome:
        """Begin a questionnaire now (replacing any other)."""
        step = engine.start(self.kb, flow_id, now)
        return Outcome(step.replies, "flow", state=step.state, state_changed=True)

    def _size(self, flow_id: str) -> str:
        """ "25 câu, khoảng 13 phút" ("tối đa …" when answers skip some questions)."""
        count, minutes, branches = size(self.kb.flows[flow_id])
        key = "flow_size_upto" if branches else "flow_size"
        return self.kb.messages(key, count=count, minutes=minutes)

    def _flow_list(self) -> str:
        """One line per questionnaire: its command, what it is for, how long it takes."""
        return "\n".join(
            self.kb.messages(
                "flow_menu_line", command=f.command, purpose=f.purpose, size=self._size(f.id)
            )
            for f in self.kb.flows.values()
        )

    def _help(self, kind: str = "command") -> Outcome:
        """How to ask, and the questionnaires with buttons."""
        say = self.kb.messages
        text = "\n\n".join((say("help"), say("flow_help_title") + "\n" + self._flow_list()))
        return Outcome((Reply(text, self._menu()),), kind)

    def _flow_menu(self) -> Outcome:
        """The questionnaires: what each is for and how long it takes, with buttons."""
        text = self.kb.messages("flow_menu") + "\n" + self._flow_list()
        return Outcome((Reply(text, self._menu()),), "command")

    def _intent(self, text: str) -> str | None:
        """ "menu" when the message asks for the list of questionnaires, else the small-talk
        intent (greeting, thanks, goodbye, help) or None."""
        if self.kb.lexicon.answers.means("menu", text):
            return "menu"
        return self.smalltalk.intent(text)

    def _smalltalk(self, intent: str) -> Outcome:
        """Small talk; asking for help or the menu lists the questionnaires."""
        if intent == "menu":
            return self._flow_menu()
        if intent == "help":
            return self._help("smalltalk")
        return Outcome((Reply(self.kb.messages(intent)),), "smalltalk")

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
        if isinstance(press, Page):
            page = self.law.press(press)
            if page is not None:
                return page
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
            return self._begin(self.flow_commands[name], now)
        if state is not None and engine.control_word("/" + name):
            return self._in_flow("/" + name, state, now)
        kind = COMMANDS.get(name)
        arg = command.arg.lower()
        if kind == "start" and arg in self.flow_commands:
            return self._begin(self.flow_commands[arg], now)
        if kind == "start":
            privacy = say("start_privacy", days=self.retention_days)
            return Outcome((Reply(say("start"), self._menu()), Reply(privacy)), "command")
        if kind == "help":
            return self._help()
        if kind == "menu":
            return self._flow_menu()
        if name == LATER:
            return Outcome((Reply(say("flow_later")),), "command")
        return Outcome((Reply(say("unknown_command")),), "command")

    def _menu(self) -> tuple[Button, ...]:
        """One button per questionnaire."""
        return tuple(Button(f.title, StartFlow(f.id).pack()) for f in self.kb.flows.values())
