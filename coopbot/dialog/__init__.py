"""Dialog: the dispatcher, its handlers, the pure router and the questionnaire engine."""

from coopbot.dialog.dispatcher import Dispatcher
from coopbot.dialog.router import Router, RouterFactory
from coopbot.dialog.turn import Outcome, Turn

__all__ = ["Dispatcher", "Outcome", "Router", "RouterFactory", "Turn"]
