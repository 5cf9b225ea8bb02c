"""Broadcast throughput: N Telegram recipients against the fake Bot API limited to 30 msg/s.

Reports the sustained broadcast rate as a share of the limit, duplicates and losses, and the
p50/p99 latency of interactive replies sent through the same pacer during the broadcast.
``python bench/broadcast_throughput.py 10000`` (takes N/30 seconds).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.telegram.broadcast import TelegramBroadcastSender
from bot.telegram.pacer import Pacer
from bot.telegram.sender import TelegramSender
from coopbot.broadcast import AudienceFilter, Broadcasts, DeliveryQueue, DeliveryWorker
from coopbot.messages import Reply
from coopbot.storage.channel_state import SqlContactStore
from coopbot.storage.db import make_engine, session_factory
from coopbot.storage.migrate import upgrade_async
from coopbot.storage.tables import Subscriber

HERE = Path(__file__).resolve().parent
TOKEN = "123456789:AAHbenchToken_abcdefghijklmnopqrstuv"
LIMIT = 30


async def start_fake(stats: Path) -> tuple[asyncio.subprocess.Process, str]:
    """The fake Bot API in its own process, so its clock is not our event loop's."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "fake_telegram_process.py"), TOKEN, str(LIMIT), str(stats),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    return proc, (await proc.stdout.readline()).decode().strip()


async def seed(engine: AsyncEngine, n: int) -> None:
    """N subscribers in one transaction."""
    async with session_factory(engine)() as s:
        s.add_all(
            Subscriber(channel="telegram", chat_id=str(i), user_key=f"k{i}", province="can-tho",
                       subscribed=True)
            for i in range(1, n + 1)
        )  # fmt: skip
        await s.commit()


async def main(n: int) -> None:
    """Seed, broadcast, measure."""
    workdir = Path(tempfile.mkdtemp())
    proc, base_url = await start_fake(workdir / "stats.json")
    url = f"sqlite+aiosqlite:///{workdir}/bench.db"
    await upgrade_async(url)
    engine = make_engine(url)
    await seed(engine, n)
    bot = Bot(TOKEN, base_url=base_url, request=HTTPXRequest(connection_pool_size=64))
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
    proc.terminate()
    await proc.wait()
    stats = json.loads(await asyncio.to_thread((workdir / "stats.json").read_text))
    per_chat = {int(k): v for k, v in stats["sent"].items() if int(k) <= n}
    dupes = sum(c - 1 for c in per_chat.values() if c > 1)
    lost = n - len(per_chat)
    total_rate = sum(stats["sent"].values()) / elapsed
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"recipients {n}, elapsed {elapsed:.1f}s, 429s {stats['rate_limited']}")
    print(f"broadcast rate {n / elapsed:.2f}/s; all sends {total_rate:.2f}/s")
    print(f"share of the {LIMIT}/s limit: {100 * total_rate / LIMIT:.1f} %")
    print(f"duplicates {dupes}, lost {lost}")
    print(
        f"interactive replies {len(latencies)}: p50 {1000 * statistics.median(latencies):.0f} ms,"
        f" p99 {1000 * p99:.0f} ms"
    )
    await bot.shutdown()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
