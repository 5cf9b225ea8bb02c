"""The Zalo side of broadcasts: proactive messages by user id through the OA client."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp

from bot.chunks import split_text
from bot.zalo.client import ZaloError
from coopbot.broadcast import Outcome, SendResult

if TYPE_CHECKING:
    from bot.zalo.channel import ZaloChannel

log = logging.getLogger(__name__)
MAX_TEXT = 2000
# Codes from Zalo's error table (docs.zaloplatforms.com/docs/OA/phu-luc/ma-loi, as quoted in
# a public research note; see bot/zalo/client.py): -213 "User has not followed OA", -211 "Out
# of quota", -32 "…reached limit call api". -230/-232 (no interaction in 7 days) stay FAILED.
NOT_FOLLOWING = {-213}  # the user does not follow the OA (unfollowed or never followed)
QUOTA = {-211}  # out of proactive-message quota: wait and retry
RATE = {-32}  # request rate exceeded


class ZaloBroadcastSender:
    """Sends to ``recipient.user_id`` (outside the free 48-hour reply window: quota, paid)."""

    channel = "zalo"

    def __init__(self, zalo: ZaloChannel) -> None:
        self.zalo = zalo

    async def send(self, chat_id: str, text: str) -> SendResult:
        """Every chunk; an unfollowed user is BLOCKED, quota and network errors RETRY."""
        client = self.zalo.client
        if client is None:
            return SendResult(Outcome.RETRY, 5.0, "zalo channel not started")
        for chunk in split_text(text, MAX_TEXT):
            try:
                await client.send({"user_id": chat_id}, {"text": chunk})
            except ZaloError as exc:
                if exc.code in NOT_FOLLOWING:
                    return SendResult(Outcome.BLOCKED, detail=str(exc))
                if exc.code in QUOTA:
                    return SendResult(Outcome.RETRY, 3600.0, str(exc))
                if exc.code in RATE:
                    return SendResult(Outcome.RETRY, 60.0, str(exc))
                return SendResult(Outcome.FAILED, detail=str(exc))
            except (TimeoutError, aiohttp.ClientError) as exc:
                log.warning("zalo unreachable during a broadcast: %s", exc)
                return SendResult(Outcome.RETRY, detail="network")
        return SendResult(Outcome.SENT)
