"""Prometheus metrics, one registry per app (tests build many apps): the core's ``Observer``."""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """Messages by channel and kind, handling latency, answer confidence, sends, errors."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "coopbot_messages", "Messages handled", ["channel", "kind"], registry=r
        )
        self.latency = Histogram(
            "coopbot_handle_seconds",
            "Time to handle one message in the core",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.confidence = Histogram(
            "coopbot_answer_confidence",
            "Confidence of the best FAQ match for searched questions",
            buckets=CONFIDENCE_BUCKETS,
            registry=r,
        )
        self.answers = Counter(
            "coopbot_answers", "Searched questions by outcome", ["confident"], registry=r
        )
        self.sends = Counter(
            "coopbot_sends",
            "Replies sent, by channel and outcome",
            ["channel", "outcome"],
            registry=r,
        )
        self.errors = Counter(
            "coopbot_errors", "Failures in the reply path, by where", ["where"], registry=r
        )
        self.quarantine = Counter(
            "coopbot_quarantined",
            "Items set aside after failing repeatedly, by source",
            ["source"],
            registry=r,
        )
        self.log_errors = Counter(
            "coopbot_log_errors", "ERROR log records, by logger", ["logger"], registry=r
        )

    def handled(
        self, channel: str, kind: str, confident: bool, score: float | None, seconds: float
    ) -> None:
        """Count one handled message."""
        self.messages.labels(channel, kind).inc()
        self.latency.labels(channel).observe(seconds)
        if kind in ("faq", "not_sure", "out_of_scope") and score is not None:
            self.confidence.observe(score)
            self.answers.labels("true" if confident else "false").inc()

    def sent(self, channel: str, outcome: str) -> None:
        """Count one send."""
        self.sends.labels(channel, outcome).inc()

    def failed(self, where: str) -> None:
        """Count one error."""
        self.errors.labels(where).inc()

    def quarantined(self, source: str) -> None:
        """Count one quarantined item."""
        self.quarantine.labels(source).inc()

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


class ErrorCounter(logging.Handler):
    """Counts ERROR (and worse) log records by logger, so every ``log.exception`` is a metric."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(logging.ERROR)
        self.metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        """Count, never format or write."""
        self.metrics.log_errors.labels(record.name).inc()
