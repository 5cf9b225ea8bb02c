"""``coopbot serve`` as a process: refuses an unsafe configuration, fails cleanly without its
database, stops promptly under load; the staff web says "busy" instead of a 500."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp

from tests.inbound.test_durability import Server, until
from tests.test_cli import _run


def test_a_webhook_without_its_secret_is_refused() -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.vn/webhooks/telegram",
    }
    out = _run("serve", env=env)
    assert out.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in out.stderr and "Traceback" not in out.stderr
    bad = _run("serve", env={**env, "TELEGRAM_WEBHOOK_SECRET": "có dấu"})
    assert bad.returncode == 2 and "A-Z, a-z, 0-9" in bad.stderr


def test_an_unreachable_database_without_migrations_is_one_clear_line() -> None:
    env = {
        "COOPBOT_AUTO_MIGRATE": "false",
        "COOPBOT_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/none",
    }
    out = _run("serve", env=env)
    assert out.returncode == 1
    assert "cannot start" in out.stderr and "Traceback" not in out.stderr


async def test_sigterm_under_load_stops_within_ten_seconds(tmp_path: Path) -> None:
    server = Server({"COOPBOT_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}, tmp_path / "l")
    await server.start()
    stop = asyncio.Event()
    answered = 0

    async def client(n: int) -> None:
        nonlocal answered
        async with aiohttp.ClientSession() as http:
            while not stop.is_set():
                body = {"user_id": f"u{n}", "text": "lap htx can bn nguoi"}
                try:
                    async with http.post(server.base + "/api/chat", json=body) as resp:
                        await resp.read()
                        answered += 1
                except aiohttp.ClientError:
                    return

    clients = [asyncio.create_task(client(n)) for n in range(32)]
    try:
        await until(lambda: _at_least(lambda: answered, 200), within=60)
        assert server.proc is not None
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(server.proc.wait, 10)  # TimeoutExpired fails the test
        assert code == 0 and time.monotonic() - started < 10
    finally:
        stop.set()
        await asyncio.gather(*clients, return_exceptions=True)
        server.stop()


async def _at_least(value: object, target: int) -> bool:
    """An awaitable comparison (for ``until``)."""
    await asyncio.sleep(0)
    return bool(value() >= target)  # type: ignore[operator]
