"""Broadcast throughput: N Telegram recipients against the fake Bot API limited to 30 msg/s.

Reports the sustained broadcast rate as a share of the limit, duplicates and losses, and the
p50/p99 latency of interactive replies sent through the same pacer during the broadcast.
``python bench/broadcast_throughput.py 10000`` (takes N/30 seconds).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.telegram.broadcast import TelegramBroadcastSender
from bot.telegram.sender import Pacer, TelegramSender
from coopbot.broadcast import AudienceFilter, Broadcasts, DeliveryQueue, DeliveryWorker
from coopbot.messages import Reply
from coopbot.storage.channel_state import SqlContactStore
from coopbot.storage.db import make_engine
from coopbot.storage.migrate import upgrade_async
from coopbot.storage.subscribers import SqlSubscriberStore, Subscription
from tests.fakes.telegram_api import FakeBotAPI

TOKEN = "123456789:AAHbenchToken_abcdefghijklmnopqrstuv"
LIMIT = 30


async def main(n: int) -> None:
    """Seed, broadcast, measure."""
    fake = FakeBotAPI(TOKEN, per_second=LIMIT)
    await fake.start()
    url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    await upgrade_async(url)
    engine = make_engine(url)
    subs = SqlSubscriberStore(engine)
    for i in range(1, n + 1):
        await subs.save(Subscription("telegram", str(i), f"k{i}", "can-tho", (), True))
    bot = Bot(TOKEN, base_url=fake.base_url, request=HTTPXRequest(connection_pool_size=64))
    await bot.initialize()
    contacts = SqlContactStore(engine)
    sender = TelegramSender(bot, contacts, Pacer(per_second=LIMIT))
    worker = DeliveryWorker(
        DeliveryQueue(engine), {"telegram": TelegramBroadcastSender(sender)}, contacts
    )
    service = Broadcasts(engine)
    bid = await service.create("Thông báo thử", AudienceFilter(), "bench")
    started = time.monotonic()
    worker.start()
    latencies: list[float] = []
    chat = -1
    while (await service.status(bid)).pending:
        chat -= 1  # interactive replies go to other chats (never blocked by per-chat spacing)
        t0 = time.monotonic()
        await sender.send(10_000_000 + abs(chat), Reply("trả lời"))
        latencies.append(time.monotonic() - t0)
        await asyncio.sleep(0.5)
    elapsed = time.monotonic() - started
    await worker.stop()
    per_chat = Counter(m.chat_id for m in fake.sent if m.chat_id <= n)
    dupes = sum(c - 1 for c in per_chat.values() if c > 1)
    lost = n - len(per_chat)
    total_rate = len(fake.sent) / elapsed
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"recipients {n}, elapsed {elapsed:.1f}s, 429s {fake.rate_limited}")
    print(f"broadcast rate {n / elapsed:.2f}/s; all sends {total_rate:.2f}/s")
    print(f"share of the {LIMIT}/s limit: {100 * total_rate / LIMIT:.1f} %")
    print(f"duplicates {dupes}, lost {lost}")
    print(
        f"interactive replies {len(latencies)}: p50 {1000 * statistics.median(latencies):.0f} ms,"
        f" p99 {1000 * p99:.0f} ms"
    )
    await bot.shutdown()
    await engine.dispose()
    await fake.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
