"""Telegram webhook throughput and update→reply latency: coopbot vs a minimal PTB echo bot.

Both run as their own process against the same fake Bot API (tests/fakes/telegram_api.py, its
30 msg/s limit lifted so the bot, not the limit, is measured). N updates from N/5 users are
POSTed to the webhook with at most C in flight; latency is from the POST to the fake receiving
the sendMessage for that chat. Usage: python bench/telegram_throughput.py [N]
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.fakes.telegram_api import FakeBotAPI  # noqa: E402

TOKEN = "123456789:AAHbenchTokenOnlyForLoopback_abcdefgh"
SECRET = "bench-webhook-secret"
IN_FLIGHT = 32
_ids = iter(range(50_000, 10**9))  # update ids are never reused: the bot deduplicates them
QUESTIONS = [
    "lap htx can bn nguoi",
    "vốn góp tối đa bao nhiêu",
    "htx có con dấu không",
    "hồ sơ đăng ký htx gồm gì",
    "thời hạn góp vốn",
]


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    """Poll until the server answers."""
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if proc.poll() is not None:
                raise RuntimeError("server exited")
            try:
                async with http.get(url) as resp:
                    if resp.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def drive(fake: FakeBotAPI, port: int, n: int) -> dict[str, float]:
    """Push n updates, wait for n first replies; throughput and latency percentiles."""
    fake.sent.clear()
    replied = fake.replied = set()  # type: ignore[attr-defined]
    started: dict[int, float] = {}
    done: dict[int, float] = {}
    gate = asyncio.Semaphore(IN_FLIGHT)
    url = f"http://127.0.0.1:{port}/webhooks/telegram"
    async with aiohttp.ClientSession() as http:

        async def one(i: int) -> None:
            uid = next(_ids)
            chat = uid
            update = {"update_id": uid, **fake.text_update(chat, QUESTIONS[i % len(QUESTIONS)])}
            async with gate:
                started[chat] = time.perf_counter()
                headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                async with http.post(url, json=update, headers=headers) as resp:
                    await resp.read()
                deadline = time.perf_counter() + 30
                while chat not in replied and time.perf_counter() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.002)
                done[chat] = time.perf_counter()

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        total = time.perf_counter() - t0
    lat = sorted((done[c] - started[c]) * 1000 for c in started)
    return {"rate": n / total, "p50": lat[len(lat) // 2], "p99": lat[int(len(lat) * 0.99)]}


async def run(
    cmd: list[str], env: dict[str, str], fake: FakeBotAPI, port: int, n: int
) -> dict[str, float]:
    """Start one bot process, warm it up, measure, stop it."""
    proc = subprocess.Popen(  # noqa: ASYNC220 (starting a child once, outside the timed part)
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        await wait_ready(f"http://127.0.0.1:{port}/webhooks/telegram", proc)
        await drive(fake, port, 50)
        return await drive(fake, port, n)
    finally:
        proc.terminate()
        proc.wait(10)


async def main(n: int) -> None:
    """Measure both bots and print a markdown table."""
    fake = FakeBotAPI(TOKEN, per_second=10**9)
    await fake.start()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            env = {
                **os.environ,
                "COOPBOT_PORT": str(port),
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": fake.base_url,
                "COOPBOT_LOG_LEVEL": "WARNING",
                "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/webhooks/telegram",
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "COOPBOT_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            }
            serve = [sys.executable, "-m", "bot", "serve"]
            rows.append(
                ("coopbot, paced at Telegram's 30 msg/s", await run(serve, env, fake, port, n))
            )
            fake.webhook_url = None
            port = free_port()
            env = {
                **env,
                "COOPBOT_PORT": str(port),
                "COOPBOT_TELEGRAM_RATE": "100000",
                "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/webhooks/telegram",
                "COOPBOT_DATABASE_URL": f"sqlite:///{tmp}/bench2.db",
            }
            rows.append(("coopbot, pacing lifted (capacity)", await run(serve, env, fake, port, n)))
            fake.webhook_url = None
            port = free_port()
            rows.append(
                (
                    "python-telegram-bot echo bot",
                    await run(
                        [
                            sys.executable,
                            str(ROOT / "bench" / "echo_bot.py"),
                            str(port),
                            TOKEN,
                            fake.base_url,
                        ],
                        env,
                        fake,
                        port,
                        n,
                    ),
                )
            )
    finally:
        await fake.stop()
    print(f"| bot ({n} updates, {IN_FLIGHT} in flight) | updates/s | p50 | p99 |")
    print("|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['rate']:.0f} | {r['p50']:.1f} ms | {r['p99']:.1f} ms |")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
