"""Announcements to subscribers: audiences, a persistent delivery queue, resumable sends.

The service the staff web, the CLI and ``/thongbao`` call (``coopbot.broadcast.Broadcasts``)::

    b = Broadcasts(engine)                                   # an AsyncEngine (storage.db)
    await b.preview(AudienceFilter(channel=None, province="can-tho", topic="tap-huan"))
        -> Preview(count, by_channel={"telegram": n, "zalo": m}, zalo_count=m)
    await b.create(text, audience, created_by, scheduled_at=None) -> int   # queued at once
    await b.status(id) -> Status(total, sent, failed, blocked, pending, state, cancelled)
    await b.list(limit=50) -> list[Summary]     # newest first, each with its Status
    await b.cancel(id) -> bool                  # pending deliveries become cancelled

Province and topic are ids from ``knowledge/audience.yaml`` (``kb.audience``); None means any.
``state`` is draft, scheduled, queued, sending, done or cancelled. Errors are
``BroadcastError`` (a ``CoopbotError``). Zalo proactive messages are quota-limited and paid:
show ``Preview.zalo_count`` before the officer confirms.

Delivery: ``create`` writes one ``delivery`` row per recipient; the ``DeliveryWorker`` that
``coopbot serve`` runs claims rows with a lease (``DeliveryQueue``) and sends them through
the channel's ``Sender`` port, so any process may queue and any running server delivers.
"""

from coopbot.broadcast.model import (
    AudienceFilter,
    BroadcastError,
    Outcome,
    Preview,
    SendResult,
    Status,
    Summary,
)
from coopbot.broadcast.queue import DeliveryQueue
from coopbot.broadcast.service import Broadcasts
from coopbot.broadcast.worker import DeliveryWorker, Sender

__all__ = [
    "AudienceFilter",
    "BroadcastError",
    "Broadcasts",
    "DeliveryQueue",
    "DeliveryWorker",
    "Outcome",
    "Preview",
    "SendResult",
    "Sender",
    "Status",
    "Summary",
]
