"""Logging set-up: one format, secrets redacted from every record (Bot API URLs hold tokens)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

TOKEN_SHAPE = re.compile(r"bot\d+:[A-Za-z0-9_-]{20,}")


class RedactSecrets(logging.Filter):
    """Replace known secrets and anything shaped like a bot token with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message in place; never drops a record."""
        message = record.getMessage()
        clean = TOKEN_SHAPE.sub("bot***", message)
        for secret in self.secrets:
            clean = clean.replace(secret, "***")
        if clean != message:
            record.msg, record.args = clean, None
        return True


def configure(level: str, secrets: Iterable[str] = ()) -> RedactSecrets:
    """Root logging with redaction on every handler; quiet chatty libraries."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    for name in ("httpx", "httpcore", "bm25s", "telegram.ext.Updater", "alembic.runtime.plugins"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
    return redact
