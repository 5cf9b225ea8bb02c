"""Dialog: the router and, later, the questionnaire engine."""

from coopbot.dialog.router import Outcome, Router

__all__ = ["Outcome", "Router"]
