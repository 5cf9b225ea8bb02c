"""Load on ``POST /api/chat``: msgs/s, p50/p99, RSS per worker, and lost inquiries after kill -9.

Workers are real ``coopbot serve`` processes (two share one port with SO_REUSEPORT); this
process is the client (aiohttp, fixed concurrency), with logging on in the workers.
Usage: python bench/load.py [--db sqlite|postgres] [--workers 1|2] [--seconds 10] [-c 32] [--kill]
       [--unique] [--telegram N]  (N updates to the webhook, replies to the fake Bot API)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import telegram_throughput as tg  # noqa: E402

from tests.fakes.telegram_api import FakeBotAPI  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
QUESTIONS = [
    "lap htx can bn nguoi",
    "vốn góp tối đa bao nhiêu",
    "htx có con dấu không",
    "hồ sơ đăng ký htx gồm gì",
    "thời tiết hôm nay thế nào",
    "thoi han gop von",
]


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def make_database(kind: str, tmp: Path) -> tuple[str, str | None]:
    """A fresh database URL (and the PostgreSQL database name to drop)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'load.db'}", None
    name = f"coopbot_load_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return f"postgresql://postgres@127.0.0.1:5432/{name}", name


async def count_inquiries(url: str) -> int:
    """Rows in the inquiry table (after the workers are gone)."""
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return int(conn.execute("SELECT count(*) FROM inquiry").fetchone()[0])
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM inquiry"))
    finally:
        await conn.close()


def start_workers(
    url: str, port: int, n: int, log: Path, extra: dict[str, str] | None = None
) -> list[subprocess.Popen[bytes]]:
    """Migrate once, then start ``n`` workers on one port (SO_REUSEPORT when n > 1)."""
    env = {**os.environ, "COOPBOT_DATABASE_URL": url, "COOPBOT_PORT": str(port), **(extra or {})}
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    env.update(
        COOPBOT_AUTO_MIGRATE="false",
        COOPBOT_REUSE_PORT="true" if n > 1 else "false",
        COOPBOT_LOG_LEVEL="INFO",
        COOPBOT_PSEUDONYM_KEY="bench-key-0123456789",
    )
    out = log.open("ab")
    return [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"], env=env, cwd=ROOT, stdout=out, stderr=out
        )
        for _ in range(n)
    ]


async def wait_ready(base: str, procs: list[subprocess.Popen[bytes]]) -> None:
    """Until /readyz answers (every worker has to be up: wait a little longer for the rest)."""
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker exited")
            try:
                async with http.get(f"{base}/readyz") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    await asyncio.sleep(2.0 if len(procs) > 1 else 0.2)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def drive(
    base: str, seconds: float, concurrency: int, stop: asyncio.Event, unique: bool = False
) -> list[float]:
    """Post questions from ``concurrency`` clients until time is up; latencies of 200 replies."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def client(i: int, http: aiohttp.ClientSession) -> None:
        n = 0
        while time.perf_counter() < deadline and not stop.is_set():
            text = QUESTIONS[(i + n) % len(QUESTIONS)]
            if unique:  # a number no other question has: the answer cache cannot help
                text = f"{text} {i * 1_000_000 + n}"
            body = {"user_id": f"c{i}-u{n % 20}", "text": text}
            n += 1
            started = time.perf_counter()
            try:
                async with http.post(f"{base}/api/chat", json=body) as resp:
                    await resp.read()
                    if resp.status == 200:
                        latencies.append(time.perf_counter() - started)
            except (TimeoutError, aiohttp.ClientError):
                if stop.is_set():
                    return
                await asyncio.sleep(0.01)

    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(client(i, http) for i in range(concurrency)))
    return latencies


def request_bytes(port: int, user: str, text: str) -> bytes:
    """One keep-alive ``POST /api/chat`` as raw HTTP/1.1 bytes."""
    body = json.dumps({"user_id": user, "text": text}, ensure_ascii=False).encode()
    head = (
        f"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def drive_raw(
    port: int, seconds: float, concurrency: int, stop: asyncio.Event, unique: bool = False
) -> list[float]:
    """Like ``drive`` over bare keep-alive sockets (a wrk-like client that leaves the CPU to
    the server); latencies of 200 replies."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client(i: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = 0
        try:
            while time.perf_counter() < deadline and not stop.is_set():
                text = QUESTIONS[(i + n) % len(QUESTIONS)]
                if unique:
                    text = f"{text} {i * 1_000_000 + n}"
                started = time.perf_counter()
                writer.write(request_bytes(port, f"c{i}-u{n % 20}", text))
                n += 1
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                if head.startswith(b"HTTP/1.1 200"):
                    latencies.append(time.perf_counter() - started)
        except (OSError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return latencies


def pct(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def run(args: argparse.Namespace) -> None:
    """One configuration: warm up, measure, report; optionally kill -9 under load."""
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = await make_database(args.db, Path(tmp))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        fake, extra = await telegram_fake(port) if args.telegram else (None, {})
        procs = start_workers(url, port, args.workers, Path(tmp) / "serve.log", extra)
        try:
            await wait_ready(base, procs)
            if fake is not None:
                await tg.drive(fake, port, 50)
                r = await tg.drive(fake, port, args.telegram)
                print(
                    f"{args.db:8} workers={args.workers} telegram, {tg.IN_FLIGHT} in flight:"
                    f" {r['rate']:5.0f} updates/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms"
                    f"  RSS {', '.join(f'{rss_mb(p.pid):.0f}' for p in procs)} MB"
                )
                return
            warm = await drive(base, 2.0, args.concurrency, asyncio.Event())  # warm-up
            stop = asyncio.Event()
            started = time.perf_counter()
            if args.kill:
                task = asyncio.create_task(drive(base, args.seconds * 2, args.concurrency, stop))
                await asyncio.sleep(args.seconds)
                before = await count_inquiries(url)
                for p in procs:
                    os.kill(p.pid, signal.SIGKILL)
                stop.set()
                lat = await task
                for p in procs:
                    p.wait()
                rows = await count_inquiries(url)
                acked = len(lat) + len(warm)
                print(
                    f"kill -9: acknowledged {acked}, inquiry rows {rows} (before kill {before}),"
                    f" lost {max(0, acked - rows)}"
                )
                return
            cpu0 = [cpu_seconds(p.pid) for p in procs]
            if args.raw:
                lat = await drive_raw(port, args.seconds, args.concurrency, stop, args.unique)
            else:
                lat = await drive(base, args.seconds, args.concurrency, stop, args.unique)
            elapsed = time.perf_counter() - started
            rss = [rss_mb(p.pid) for p in procs]
            cpu = [
                (cpu_seconds(p.pid) - c) / elapsed * 100 for p, c in zip(procs, cpu0, strict=True)
            ]
            print(
                f"{args.db:8} workers={args.workers} c={args.concurrency}"
                f"{' unique' if args.unique else ''}{' raw' if args.raw else ''}: "
                f"{len(lat) / elapsed:7.0f} msg/s  p50 {pct(lat, 0.5):6.1f} ms  "
                f"p99 {pct(lat, 0.99):6.1f} ms  RSS {', '.join(f'{r:.0f}' for r in rss)} MB  "
                f"CPU {', '.join(f'{c:.0f}' for c in cpu)} %"
            )
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
            for p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
            if fake is not None:
                await fake.stop()
            if pg_name:
                admin = await asyncpg.connect(PG_ADMIN)
                await admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
                await admin.close()


async def telegram_fake(port: int) -> tuple[FakeBotAPI, dict[str, str]]:
    """The fake Bot API (limit lifted) and the workers' webhook settings (pacing lifted)."""
    fake = FakeBotAPI(tg.TOKEN, per_second=10**9)
    await fake.start()
    return fake, {
        "TELEGRAM_BOT_TOKEN": tg.TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/webhooks/telegram",
        "TELEGRAM_WEBHOOK_SECRET": tg.SECRET,
        "COOPBOT_TELEGRAM_RATE": "100000",
    }


def main() -> None:
    """Parse arguments and run."""
    p = argparse.ArgumentParser()
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("-c", "--concurrency", type=int, default=32)
    p.add_argument("--kill", action="store_true", help="kill -9 the workers under load")
    p.add_argument("--unique", action="store_true", help="every question different (no cache)")
    p.add_argument("--raw", action="store_true", help="bare-socket client (cheaper than aiohttp)")
    p.add_argument("--telegram", type=int, default=0, help="N updates to the Telegram webhook")
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
