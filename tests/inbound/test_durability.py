"""Anything acknowledged to a platform is durable: ``coopbot serve`` killed with SIGKILL right
after acknowledging updates answers every one of them, exactly once, after a restart.

The fakes hold every send until released, so at the kill nothing has been answered yet; a held
send whose client died is counted as dropped (Telegram never processed it). SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from sqlalchemy import text

from coopbot.storage.db import make_engine
from tests.fakes.telegram_api import TOKEN, FakeBotAPI
from tests.fakes.zalo_api import FakeZaloAPI

ROOT = Path(__file__).resolve().parents[2]
SECRET = "kill-test-secret"
APP_ID, APP_SECRET, OA_SECRET = "1234567890", "app-secret-xyz", "oa-secret-abc"
QUESTIONS = ["lap htx can bn nguoi", "vốn góp tối đa bao nhiêu", "htx có con dấu không"]


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``coopbot serve`` as a real process on a fixed port (so a restart keeps the URL)."""

    def __init__(self, env: dict[str, str], log: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.env = {**os.environ, **env, "COOPBOT_PORT": str(self.port)}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """Its address."""
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        """Start the process."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=out,
            )

    async def start(self) -> None:
        """Start and wait until ``/healthz`` answers."""
        self.spawn()

        async def up() -> bool:
            try:
                async with aiohttp.ClientSession() as http, http.get(self.base + "/healthz") as r:
                    return r.status == 200
            except aiohttp.ClientError:
                return False

        await until(up, within=60)

    def kill(self) -> None:
        """SIGKILL: no cleanup at all."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """Terminate (tests' teardown)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


async def until(check: Callable[[], Awaitable[bool]], within: float = 30) -> None:
    """Poll ``check`` until it is true."""
    for _ in range(int(within * 20)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("condition not met in time")


async def pending_rows(url: str) -> int:
    """Inbox rows not yet done."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            query = text("SELECT count(*) FROM inbox WHERE status <> 'done'")
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def test_kill_9_after_100_acknowledged_telegram_updates(
    fake_api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    fake = fake_api
    port = free_port()
    env = {
        "COOPBOT_DATABASE_URL": database_url,
        "COOPBOT_INBOX_LEASE": "2",
        "COOPBOT_BROADCAST_WORKER": "false",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    env["TELEGRAM_WEBHOOK_URL"] = f"http://127.0.0.1:{port}/webhooks/telegram"
    server = Server(env, tmp_path / "serve.log", port)
    chats = range(9001, 9021)  # 20 chats, 5 updates each
    try:
        await server.start()
        fake.hold_after = 0  # Telegram stalls: nothing is answered before the kill
        for round_ in range(5):
            await asyncio.gather(
                *(fake.push(fake.text_update(c, QUESTIONS[round_ % 3])) for c in chats)
            )
        assert fake.webhook_statuses.count(200) == 100  # all acknowledged
        await until(lambda: _true(fake.held >= 1))  # killed with sends in flight
        server.kill()
    finally:
        server.stop()
    await until(lambda: _true(fake.held_orphans() == fake.held))  # the fake saw them drop
    fake.release.set()
    await until(lambda: _true(fake.held == 0))
    assert fake.sent == [] and fake.dropped >= 1  # nothing was processed before the kill
    fake.hold_after = None
    restarted = Server(env, tmp_path / "serve.log", port)
    try:
        await restarted.start()
        await fake.wait_for(100, within=90)
        await until(lambda: _zero(pending_rows(database_url)), within=30)
    finally:
        restarted.stop()
    assert Counter(m.chat_id for m in fake.sent) == Counter({c: 5 for c in chats})
    for c in chats:  # and in the order each chat asked
        texts = [m.text for m in fake.messages_to(c)]
        assert "05 thành viên" in texts[0] and "30%" in texts[1] and "con dấu" in texts[2]


async def test_kill_9_after_50_acknowledged_zalo_events(database_url: str, tmp_path: Path) -> None:
    fake = FakeZaloAPI(APP_ID, APP_SECRET, OA_SECRET)
    await fake.start()
    env = {
        "COOPBOT_DATABASE_URL": database_url,
        "COOPBOT_INBOX_LEASE": "2",
        "COOPBOT_BROADCAST_WORKER": "false",
        "ZALO_APP_ID": APP_ID,
        "ZALO_APP_SECRET": APP_SECRET,
        "ZALO_OA_SECRET_KEY": OA_SECRET,
        "ZALO_ACCESS_TOKEN": "AT-1",
        "ZALO_REFRESH_TOKEN": "RT-1",
        "ZALO_API_BASE_URL": fake.url,
        "ZALO_OAUTH_BASE_URL": fake.url,
    }
    server = Server(env, tmp_path / "serve.log")
    users = [f"83726150482917{i:05d}" for i in range(10)]  # 19 digits

    try:
        await server.start()
        fake.hold = True
        async with aiohttp.ClientSession() as http:

            async def post(user: str, n: int) -> int:
                event = fake.text_event(user, QUESTIONS[n % 3], f"{user}-{n}")
                raw, headers = fake.signed(event)
                async with http.post(
                    server.base + "/webhooks/zalo", data=raw, headers=headers
                ) as r:
                    return r.status

            statuses = []
            for n in range(5):
                statuses += await asyncio.gather(*(post(u, n) for u in users))
        assert statuses == [200] * 50
        await until(lambda: _true(fake.held >= 1))  # killed with sends in flight
        server.kill()
    finally:
        server.stop()
    await until(lambda: _true(fake.held_orphans() == fake.held))
    fake.release.set()
    await until(lambda: _true(fake.held == 0))
    assert fake.sent == [] and fake.dropped >= 1
    fake.hold = False
    restarted = Server(env, tmp_path / "serve.log", server.port)
    try:
        await restarted.start()
        await until(lambda: _true(len(fake.sent) >= 50), within=90)
        await until(lambda: _zero(pending_rows(database_url)), within=30)
    finally:
        restarted.stop()
        await fake.stop()
    assert Counter(s["user_id"] for s in fake.sent) == Counter({u: 5 for u in users})
    for u in users:
        texts = [s["text"] for s in fake.to(u)]
        assert "05 thành viên" in texts[0] and "30%" in texts[1] and "con dấu" in texts[2]


async def _true(value: bool) -> bool:
    """An awaitable constant (for ``until``)."""
    await asyncio.sleep(0)
    return value


async def _zero(count: Awaitable[int]) -> bool:
    """True when the awaited count is zero."""
    return await count == 0
