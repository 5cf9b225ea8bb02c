"""Logging set-up: text or JSON lines, secrets redacted from every record and traceback.

Log calls never carry a user's text or raw chat id: channels and the core log kinds, counts and
channel names only; SQL parameters are hidden from driver errors (``hide_parameters``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

TOKEN_SHAPE = re.compile(r"bot\d+:[A-Za-z0-9_-]{20,}")
STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class RedactSecrets(logging.Filter):
    """Replace known secrets and anything shaped like a bot token with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def redact(self, text: str) -> str:
        """The text with every secret replaced."""
        clean = TOKEN_SHAPE.sub("bot***", text)
        for secret in self.secrets:
            clean = clean.replace(secret, "***")
        return clean

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message in place; never drops a record."""
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class TextFormatter(logging.Formatter):
    """``time level logger: message``, tracebacks redacted too."""

    def __init__(self, redact: RedactSecrets) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redactor = redact

    def format(self, record: logging.LogRecord) -> str:
        """Format, then redact the whole text (tracebacks can quote URLs with tokens)."""
        return self.redactor.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, extras, and exc for tracebacks."""

    def __init__(self, redact: RedactSecrets) -> None:
        super().__init__()
        self.redactor = redact

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the record and its ``extra=`` fields, redacted."""
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        data: dict[str, object] = {
            "ts": ts.replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        line = json.dumps(data, ensure_ascii=False, default=str)
        return self.redactor.redact(line)


def configure(level: str, secrets: Iterable[str] = (), fmt: str = "text") -> RedactSecrets:
    """Root logging with redaction on every handler; quiet chatty libraries."""
    logging.basicConfig(level=level)
    redact = RedactSecrets(secrets)
    formatter = JsonFormatter(redact) if fmt == "json" else TextFormatter(redact)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
        handler.setFormatter(formatter)
    root = logging.getLogger().level
    # httpx logs Bot API URLs (tokens); aiosqlite's DEBUG lines quote SQL parameters (user text)
    for name in (
        "httpx",
        "httpcore",
        "bm25s",
        "telegram.ext.Updater",
        "aiosqlite",
        "alembic.runtime.plugins",
    ):
        logging.getLogger(name).setLevel(max(logging.WARNING, root))
    # Alembic's "Context impl SQLiteImpl." / "Running upgrade …" INFO lines are noise on the
    # admin commands' stderr: shown at DEBUG, or when the log is JSON (for machines, not people)
    if fmt != "json" and root > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    # python-telegram-bot's DEBUG lines print whole updates and sendMessage parameters
    logging.getLogger("telegram").setLevel(max(logging.INFO, root))
    return redact
