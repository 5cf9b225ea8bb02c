"""The Telegram side of broadcasts: the ``Sender`` port over the bot's paced sender."""

from __future__ import annotations

from bot.telegram.sender import Sent, TelegramSender
from coopbot.broadcast import Outcome, SendResult
from coopbot.messages import Reply

OUTCOMES = {
    Sent.SENT: Outcome.SENT,
    Sent.BLOCKED: Outcome.BLOCKED,
    Sent.FAILED: Outcome.FAILED,
    Sent.RETRY: Outcome.RETRY,
}


class TelegramBroadcastSender:
    """Bulk sends through the channel's own pacer, so interactive replies go first."""

    channel = "telegram"

    def __init__(self, sender: TelegramSender) -> None:
        self.sender = sender

    async def send(self, chat_id: str, text: str) -> SendResult:
        """One announcement (split if long); 429s wait inside, 403 is BLOCKED."""
        result = await self.sender.send(int(chat_id), Reply(text), bulk=True)
        return SendResult(OUTCOMES[result], detail="" if result is Sent.SENT else result.value)
