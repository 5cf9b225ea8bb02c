"""What every handler sees (``Turn``) and returns (``Outcome``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from coopbot.dialog.commands import Command, parse_command
from coopbot.dialog.flows.engine import FlowState
from coopbot.dialog.flows.evaluate import FlowResult
from coopbot.messages import IncomingMessage, Reply
from coopbot.payloads import Payload, RunCommand, unpack


@dataclass(frozen=True, slots=True)
class Turn:
    """One incoming message with its payload and command parsed once, for the whole chain."""

    msg: IncomingMessage
    key: str  # the user's pseudonym
    ref: str  # names this inquiry on 👍/👎 buttons
    now: float
    press: Payload | None = None
    command: Command | None = None

    @classmethod
    def of(cls, msg: IncomingMessage, key: str, ref: str, now: float) -> Turn:
        """Parse the button payload or the slash command (a ``cmd:`` button is a command)."""
        if msg.payload is not None:
            press = unpack(msg.payload)
            if isinstance(press, RunCommand):
                return cls(msg, key, ref, now, None, Command(press.name))
            return cls(msg, key, ref, now, press)
        return cls(msg, key, ref, now, None, parse_command(msg.text))

    @property
    def is_press(self) -> bool:
        """A button press (known or stale), not typed text."""
        return self.msg.payload is not None


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
    logged: bool = True  # False: not an inquiry (a vote, an erasure, an officer's command)
    runner_up: str | None = None  # the FAQ search's second-best entry
    margin: float | None = None  # selection score (a logit) of the best entry minus the runner-up's
    entries: tuple[str, ...] = ()  # every entry answered (one per part asked)

    @property
    def answered(self) -> tuple[str, ...]:
        """Entries answered with confidence (one per part of a multi-part question)."""
        if not self.confident:
            return ()
        return self.entries or ((self.entry_id,) if self.entry_id else ())
