"""One dispatcher: an ordered chain of handlers inside middlewares (aiogram's shape).

Each handler looks at the ``Turn`` and answers with an ``Outcome`` or passes (None); the last
one always answers. The chain, in order: officer broadcasts, subscription, privacy (erasure),
feedback, then the conversation (commands, questionnaires, small talk, FAQ). Middlewares wrap
the whole chain, e.g. the subscription offer appended to ``/start``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from coopbot.dialog.turn import Outcome, Turn

Next = Callable[[Turn], Awaitable[Outcome]]


class Handler(Protocol):
    """Answers the turns it is for, passes the others."""

    async def __call__(self, turn: Turn) -> Outcome | None:
        """An outcome, or None to let the next handler try."""


class Middleware(Protocol):
    """Wraps the chain: may change the turn on the way in or the outcome on the way out."""

    async def __call__(self, turn: Turn, call_next: Next) -> Outcome:
        """The outcome for ``turn``, usually from ``call_next(turn)``."""


class Unanswered(RuntimeError):
    """No handler answered (the chain must end with one that always does)."""


class Dispatcher:
    """Runs the middlewares around the handler chain; built once, immutable."""

    def __init__(self, handlers: Sequence[Handler], middlewares: Sequence[Middleware] = ()):
        self.handlers = tuple(handlers)
        self.middlewares = tuple(middlewares)

    async def dispatch(self, turn: Turn) -> Outcome:
        """The outcome of the first handler that answers, through every middleware."""
        call: Next = self._chain
        for middleware in reversed(self.middlewares):
            call = _wrap(middleware, call)
        return await call(turn)

    async def _chain(self, turn: Turn) -> Outcome:
        """Try the handlers in order."""
        for handler in self.handlers:
            outcome = await handler(turn)
            if outcome is not None:
                return outcome
        raise Unanswered(turn.msg.kind)


def _wrap(middleware: Middleware, call_next: Next) -> Next:
    """``call_next`` seen through ``middleware``."""

    async def call(turn: Turn) -> Outcome:
        return await middleware(turn, call_next)

    return call
