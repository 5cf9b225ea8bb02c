"""What the core reports about its work (metrics live in ``bot``; the core knows no exporter)."""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    """Receives one event per handled message, send and error; must never raise."""

    def handled(
        self, channel: str, kind: str, confident: bool, score: float | None, seconds: float
    ) -> None:
        """A message was handled: its channel, outcome kind, confidence and handling time."""

    def sent(self, channel: str, outcome: str) -> None:
        """A reply went out (``sent``), or could not (``blocked``, ``failed``)."""

    def failed(self, where: str) -> None:
        """Something went wrong at ``where`` (core, storage, a channel)."""

    def quarantined(self, source: str) -> None:
        """An item that kept failing was set aside (``inbox``, ``inquiry``)."""


class NullObserver:
    """Observes nothing (the default for tests and the command line)."""

    def handled(
        self, channel: str, kind: str, confident: bool, score: float | None, seconds: float
    ) -> None:
        """Ignore."""

    def sent(self, channel: str, outcome: str) -> None:
        """Ignore."""

    def failed(self, where: str) -> None:
        """Ignore."""

    def quarantined(self, source: str) -> None:
        """Ignore."""
