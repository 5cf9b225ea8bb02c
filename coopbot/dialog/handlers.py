"""The dispatcher's handlers that are not the conversation: officers' broadcasts, the
subscription dialogue, erasure on request, and 👍/👎 votes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from coopbot.broadcast.compose import Composer
from coopbot.dialog.dispatcher import Next
from coopbot.dialog.smalltalk import ERASE_REQUEST, SmallTalk
from coopbot.dialog.subscribe import COMMANDS as SUBSCRIBE_COMMANDS
from coopbot.dialog.subscribe import SubscriptionDialog
from coopbot.dialog.turn import Outcome, Turn
from coopbot.knowledge.model import Messages
from coopbot.messages import Button, Reply, UserKey
from coopbot.observe import Observer
from coopbot.payloads import Compose, Erase, Subscribe, Vote
from coopbot.storage.inquiries import InquiryLog

log = logging.getLogger(__name__)
ERASE_COMMAND = "xoadulieu"
START_COMMANDS = frozenset({"start", "batdau"})


def _say(text: str, kind: str, logged: bool = True) -> Outcome:
    """One plain reply."""
    return Outcome((Reply(text),), kind, logged=logged)


class OfficerBroadcasts:
    """``/thongbao`` and draft buttons, for officers only (others fall through to the FAQ)."""

    def __init__(self, composer: Composer | None, officers: frozenset[UserKey]) -> None:
        self.composer, self.officers = composer, officers

    async def __call__(self, turn: Turn) -> Outcome | None:
        """Compose or manage a broadcast."""
        if self.composer is None or turn.msg.user not in self.officers:
            return None
        if isinstance(turn.press, Compose):
            replies = await self.composer.press(turn.press)
        elif turn.command is not None and turn.command.name == "thongbao":
            replies = await self.composer.command(turn.command.arg, str(turn.msg.user))
        else:
            return None
        return Outcome(tuple(replies), "officer", logged=False)


class Subscriptions:
    """``/dangky``, ``/huydangky`` and the subscription buttons."""

    def __init__(self, dialog: SubscriptionDialog) -> None:
        self.dialog = dialog

    async def __call__(self, turn: Turn) -> Outcome | None:
        """Change the user's subscription."""
        press = turn.press if isinstance(turn.press, Subscribe) else None
        if press is None and turn.command is not None:
            press = SUBSCRIBE_COMMANDS.get(turn.command.name)
        if press is None:
            return None
        return Outcome(tuple(await self.dialog.handle(turn.msg, turn.key, press)), "subscribe")


class OfferAfterStart:
    """Middleware: after ``/start``, the current subscription or an offer to subscribe."""

    def __init__(self, dialog: SubscriptionDialog) -> None:
        self.dialog = dialog

    async def __call__(self, turn: Turn, call_next: Next) -> Outcome:
        """Append the offer to the welcome."""
        outcome = await call_next(turn)
        command = turn.command
        if command is None or command.name not in START_COMMANDS or outcome.kind != "command":
            return outcome
        offer = await self.dialog.offer(turn.msg)
        return outcome if offer is None else replace(outcome, replies=(*outcome.replies, offer))


class Privacy:
    """``/xoadulieu`` or a typed request ("xoa du lieu cua toi") asks to confirm; "🗑 Xoá dữ
    liệu" erases every store; not logged. Typed requests are recognised when ``smalltalk`` is
    given (its ``erase_request`` phrases in lexicon.yaml)."""

    def __init__(
        self,
        say: Messages,
        erase: Callable[[UserKey], Awaitable[int]],
        observer: Observer,
        smalltalk: SmallTalk | None = None,
    ) -> None:
        self.say, self.erase, self.observer = say, erase, observer
        self.smalltalk = smalltalk

    async def __call__(self, turn: Turn) -> Outcome | None:
        """Confirm, erase or cancel."""
        say = self.say
        if self._asked(turn):
            buttons = (
                Button(say("erase_yes"), Erase("yes").pack()),
                Button(say("erase_no"), Erase("no").pack()),
            )
            return Outcome((Reply(say("erase_confirm"), buttons),), "command")
        if not isinstance(turn.press, Erase):
            return None
        if turn.press.choice != "yes":
            return _say(say("erase_cancelled"), "command")
        try:
            await self.erase(turn.msg.user)
        except Exception:  # tell the user; staff see the log
            log.exception("erasing a %s user's data failed", turn.msg.user.channel)
            self.observer.failed("erase")
            return _say(say("erase_failed"), "erase", logged=False)
        return _say(say("erase_done"), "erase", logged=False)

    def _asked(self, turn: Turn) -> bool:
        """The erase command, or a typed message that asks to erase the sender's data."""
        if turn.command is not None:
            return turn.command.name == ERASE_COMMAND
        text = turn.msg.text
        if self.smalltalk is None or turn.is_press or text is None:
            return False
        return self.smalltalk.intent(text) == ERASE_REQUEST


class Votes:
    """👍/👎 on the user's own inquiry; a vote that could not be stored is never thanked."""

    def __init__(self, say: Messages, inquiries: InquiryLog) -> None:
        self.say, self.inquiries = say, inquiries

    async def __call__(self, turn: Turn) -> Outcome | None:
        """Store the vote (storage errors propagate: the user is told the system is busy)."""
        press = turn.press
        if not isinstance(press, Vote):
            return None
        if not await self.inquiries.set_feedback(press.ref, turn.key, press.value):
            return _say(self.say("feedback_gone"), "feedback", logged=False)
        key = "feedback_thanks" if press.value > 0 else "feedback_sorry"
        return _say(self.say(key), "feedback", logged=False)
