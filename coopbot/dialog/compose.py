"""Turn a selection into replies: one answer per part asked (up to three), each opening with
the title of what it answers; a premise from the repealed law corrected first; a count from the
story checked against the rule; the unsure parts offered as buttons; an ask-back when the
organisation type decides the answer and the message names none."""

from __future__ import annotations

from dataclasses import dataclass

from coopbot.dialog.law import LawDesk
from coopbot.dialog.render import answer_reply, feedback_buttons, sources_text
from coopbot.dialog.turn import Outcome
from coopbot.knowledge.model import FaqEntry, KnowledgeBase, SourceRef
from coopbot.messages import Button, Reply
from coopbot.payloads import OpenEntry
from coopbot.retrieval.calibration import Calibration
from coopbot.retrieval.select import PartChoice, Selection
from coopbot.text.grammar import Premise, kinds
from coopbot.text.understand import Understanding

MAX_ANSWERS = 3
MAX_SUGGESTIONS = 3
TYPE_LABELS = {"htx": "type_htx", "tht": "type_tht", "lhhtx": "type_lhhtx"}


@dataclass(frozen=True)
class Composer:
    """Composes replies from selections, for one knowledge base and calibration."""

    kb: KnowledgeBase
    calibration: Calibration
    law: LawDesk | None = None

    def outcome(self, selection: Selection, ref: str | None) -> Outcome:
        """The replies and what the inquiry log keeps."""
        normalized = " ".join(selection.analysed)
        answered = self._answered(selection)
        score = round(max((p.confidence for p in selection.parts), default=0.0), 4)
        if answered:
            replies = self._answers(selection, answered, ref)
            ids = tuple(e.id for e in answered)
            runner_up, margin = _runner_up(selection.confident[0])
            return Outcome(
                replies, "faq", normalized, ids[0], score, True,
                entries=ids, runner_up=runner_up, margin=margin,
            )  # fmt: skip
        ask = next((p for p in selection.parts if p.variants), None)
        if ask is not None:
            reply = self._ask_type(ask, selection.understanding)
            return Outcome((reply,), "ask_type", normalized, ask.ranked[0].entry.id, score)
        likely = self._likely(selection)
        # off-topic messages are declined whatever matches: the law is searched only in domain
        articles = self._articles(selection) if selection.in_domain else ()
        if (likely or articles) and selection.in_domain:
            ids = tuple(e.id for e in likely)
            replies = (self._suggest(likely, selection.understanding),) if likely else ()
            replies += articles
            top = ids[0] if ids else None
            return Outcome(replies, "not_sure", normalized, top, score, False, ids)
        lead = self._premise_lines(selection.understanding)
        reply = Reply(lead + self.kb.messages("out_of_scope"))
        return Outcome((reply,), "out_of_scope", normalized, None, score)

    def _articles(self, selection: Selection) -> tuple[Reply, ...]:
        """Articles of the law that match well, offered as law text (a gap for staff)."""
        if self.law is None:
            return ()
        hits = self.law.offered(selection.understanding.question)
        if not hits:
            return ()
        return (Reply(self.kb.messages("law_offer"), self.law.offer_buttons(hits)),)

    def _answered(self, selection: Selection) -> list[FaqEntry]:
        """Distinct entries answering confident parts, in the order asked (at most three)."""
        out: list[FaqEntry] = []
        for part in selection.confident:
            assert part.best is not None
            entry = part.best.entry
            if entry not in out:
                out.append(entry)
        return out[:MAX_ANSWERS]

    def _answers(
        self, selection: Selection, entries: list[FaqEntry], ref: str | None
    ) -> tuple[Reply, ...]:
        """One reply per answered entry; the unsure parts after them; votes on the last."""
        u = selection.understanding
        single = len(entries) == 1 and len(selection.parts) == 1
        replies = []
        for n, entry in enumerate(entries):
            reply = answer_reply(entry, self.kb, None, related=single)
            lead = (self._premise_lines(u) if n == 0 else "") + self._count_line(entry, u)
            replies.append(Reply(lead + reply.text, reply.buttons))
        unsure = [p for p in selection.parts if not p.confident and p.ranked]
        repeats = _repeats(selection, entries)
        if unsure or repeats:
            replies.append(self._unsure(unsure, repeats, entries))
        if ref is not None:
            last = replies[-1]
            replies[-1] = Reply(last.text, (*last.buttons, *feedback_buttons(self.kb, ref)))
        return tuple(replies)

    def _unsure(
        self, parts: list[PartChoice], repeats: list[PartChoice], answered: list[FaqEntry]
    ) -> Reply:
        """The parts not answered, with likely entries as buttons; then the parts answered by
        an earlier part's entry, with their next-best entry in case they asked something else
        ("… cần mấy người? Góp bằng đất thì ai định giá?" may rank one entry first for both)."""
        say = self.kb.messages
        lines: list[str] = []
        buttons: list[Button] = []

        def offer(part: PartChoice, key: str, count: int) -> None:
            lines.append(say(key, part=_short(part.part.text)))
            fresh = [s.entry for s in part.ranked if s.entry not in answered]
            for entry in fresh[:count]:
                if all(b.payload != OpenEntry(entry.id).pack() for b in buttons):
                    buttons.append(Button(entry.title, OpenEntry(entry.id).pack()))

        for part in parts:
            offer(part, "part_unsure", 2)
        for part in repeats:
            offer(part, "part_repeat", 1)
        return Reply("\n".join(lines), tuple(buttons[:MAX_SUGGESTIONS]))

    def _likely(self, selection: Selection) -> list[FaqEntry]:
        """Entries worth offering when nothing is confident (best of each part first)."""
        floor = self.calibration.part_suggest
        out: list[FaqEntry] = []
        for rank in range(MAX_SUGGESTIONS):
            for part in selection.parts:
                if rank < len(part.ranked) and part.confidence >= floor:
                    entry = part.ranked[rank].entry
                    if entry not in out:
                        out.append(entry)
        return out[:MAX_SUGGESTIONS]

    def _suggest(self, entries: list[FaqEntry], u: Understanding) -> Reply:
        """ "Did you mean" with one button per likely entry."""
        say = self.kb.messages
        lines = [self._premise_lines(u) + say("not_sure")]
        lines += [f"{i}. {e.title}" for i, e in enumerate(entries, 1)]
        lines.append(say("not_sure_tail"))
        buttons = tuple(Button(e.title, OpenEntry(e.id).pack()) for e in entries)
        return Reply("\n".join(lines), buttons)

    def _ask_type(self, part: PartChoice, u: Understanding) -> Reply:
        """ "Bạn hỏi về hợp tác xã hay tổ hợp tác?" with one button per type."""
        say = self.kb.messages
        buttons = []
        for entry in part.variants:
            kind = next(iter(_types_of(entry, self.kb)), "htx")
            buttons.append(
                Button(say(TYPE_LABELS.get(kind, "type_htx")), OpenEntry(entry.id).pack())
            )
        names = " hay ".join(b.label.lower() for b in buttons)
        return Reply(self._premise_lines(u) + say("ask_type", types=names), tuple(buttons))

    def _premise_lines(self, u: Understanding) -> str:
        """Corrections of premises from the repealed law, each with its sources."""
        return "".join(self._premise(p) + "\n\n" for p in u.premises)

    def _premise(self, premise: Premise) -> str:
        """One correction."""
        refs = [
            SourceRef(self.kb.documents[doc], article)
            for doc, article in premise.sources
            if doc in self.kb.documents
        ]
        text = self.kb.messages(premise.correction)
        return f"{text}\n{sources_text(refs, self.kb)}" if refs else text

    def _count_line(self, entry: FaqEntry, u: Understanding) -> str:
        """ "Nhóm bạn có 5 người: đủ …" when the story gives a count the entry has a rule for."""
        rule = self.kb.grammar.count_rules.get(entry.id)
        if rule is None or u.count is None:
            return ""
        minimum = int(str(rule.get("minimum", 0)))
        values = {
            "count": u.count,
            "minimum": f"{minimum:02d}",
            "unit": rule.get("unit", ""),
            "of": rule.get("of", ""),
            "missing": max(0, minimum - u.count),
        }
        key = "count_enough" if u.count >= minimum else "count_short"
        return self.kb.messages(key, **values) + "\n\n"


def _repeats(selection: Selection, answered: list[FaqEntry]) -> list[PartChoice]:
    """Confident parts whose entry an earlier confident part already has, that rank another
    entry not answered yet (what they may have asked instead)."""
    seen: set[str] = set()
    out = []
    for part in selection.confident:
        assert part.best is not None
        top = part.best.entry
        others = any(s.entry not in answered for s in part.ranked[1:])
        if top.id in seen and others:
            out.append(part)
        seen.add(top.id)
    return out


def _types_of(entry: FaqEntry, kb: KnowledgeBase) -> frozenset[str]:
    """The organisation types named by an entry's title."""
    found = kinds(kb.grammar.words(entry.title), kb.grammar.types)
    return found - {"htx"} if "lhhtx" in found else found


def _short(text: str, limit: int = 60) -> str:
    """A part's text cut for a reminder line."""
    text = text.strip(" ,.?")
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _runner_up(part: PartChoice) -> tuple[str | None, float | None]:
    """The second-ranked entry of a part and its score gap to the first (for staff checks)."""
    if len(part.ranked) < 2:
        return None, None
    first, second = part.ranked[0], part.ranked[1]
    return second.entry.id, round(first.score - second.score, 4)
