"""Send replies within Telegram's limits: pacing, 429 retry_after, 403 blocked, no lost message."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from datetime import timedelta

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.telegram.convert import CHANNEL, outbound
from bot.telegram.pacer import Pacer
from coopbot.messages import Reply
from coopbot.storage.channel_state import ContactStore

log = logging.getLogger(__name__)


class Sent(enum.Enum):
    """Outcome of one send."""

    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    RETRY = "retry"  # flood control or the network outlasted every attempt: try later


def retry_seconds(exc: RetryAfter) -> float:
    """retry_after in seconds, whether PTB gives an int or a timedelta."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Sends neutral replies; never raises for Telegram errors, reports what happened."""

    def __init__(
        self,
        bot: Bot,
        contacts: ContactStore,
        pacer: Pacer | None = None,
        max_attempts: int = 6,
    ) -> None:
        self.bot = bot
        self.contacts = contacts
        self.pacer = pacer or Pacer()
        self.max_attempts = max_attempts
        self.on_blocked: Callable[[int], None] | None = None

    async def send(self, chat_id: int, reply: Reply, bulk: bool = False) -> Sent:
        """Every chunk of the reply, in order; stops at the first chunk that cannot go."""
        for text, markup in outbound(reply):
            result = await self._one(chat_id, text, markup, bulk)
            if result is not Sent.SENT:
                return result
        return Sent.SENT

    async def _one(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, bulk: bool
    ) -> Sent:
        """One sendMessage with retries for flood control and network errors."""
        delay = 0.5
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with self.pacer.slot(chat_id, bulk):
                    await self.bot.send_message(
                        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
                    )
                return Sent.SENT
            except RetryAfter as exc:
                self.pacer.pause(retry_seconds(exc))
                log.warning("telegram flood control: waiting %.0fs", retry_seconds(exc))
            except Forbidden:
                await self.contacts.set_active(CHANNEL, str(chat_id), False)
                if self.on_blocked is not None:
                    self.on_blocked(chat_id)
                return Sent.BLOCKED
            except BadRequest as exc:  # escaped HTML and bounded length: a bug, not retried
                log.error("telegram refused a message: %s", exc.message)
                return Sent.FAILED
            except (TimedOut, NetworkError) as exc:
                log.warning("telegram network error (attempt %d): %s", attempt, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
        return Sent.RETRY
