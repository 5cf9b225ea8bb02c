"""Seeding subscribers and waiting for deliveries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from coopbot.broadcast import Broadcasts
from coopbot.storage.channel_state import SqlContactStore
from coopbot.storage.subscribers import SqlSubscriberStore, Subscription


async def seed(
    subs: SqlSubscriberStore,
    chats: range | list[int],
    channel: str = "telegram",
    province: str = "can-tho",
    topics: tuple[str, ...] = (),
) -> None:
    """Subscribed chats with a province and topics."""
    for chat in chats:
        await subs.save(Subscription(channel, str(chat), f"k{chat}", province, topics, True))


async def block(contacts: SqlContactStore, channel: str, chat: int) -> None:
    """A contact known to be unreachable."""
    await contacts.set_active(channel, str(chat), False)


async def until(check: Callable[[], Awaitable[bool]], within: float = 60) -> None:
    """Poll an async condition."""
    for _ in range(int(within * 20)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError


async def finished(service: Broadcasts, broadcast_id: int) -> bool:
    """Nothing pending any more."""
    return (await service.status(broadcast_id)).pending == 0
