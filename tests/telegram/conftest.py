"""A fake Bot API and coopbot serving Telegram on loopback, in webhook or polling mode."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.server import PIPELINE_KEY, TELEGRAM_KEY, make_app
from coopbot.config import REPO_KNOWLEDGE, load_settings
from coopbot.inbound.pipeline import Pipeline
from tests.fakes.telegram_api import TOKEN, FakeBotAPI

SECRET = "s3cret-webhook-token"


@dataclass
class Running:
    """What a test needs: the fake, our base URL, the database URL, the channel."""

    fake: FakeBotAPI
    base: str
    db: str
    channel: Any
    pipeline: Pipeline


@pytest.fixture
async def start_bot(fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """``await start_bot(webhook=True)`` → Running; stopped at teardown."""
    runners: list[web.AppRunner] = []

    async def start(webhook: bool = True, **env: Any) -> Running:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        db = f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}"
        settings = load_settings(
            knowledge_dir=REPO_KNOWLEDGE,
            database_url=db,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=fake_api.base_url,
            telegram_webhook_url=f"http://127.0.0.1:{port}/webhooks/telegram" if webhook else None,
            telegram_webhook_secret=SECRET if webhook else None,
            **env,
        )
        app = await make_app(settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        runners.append(runner)
        return Running(
            fake_api, f"http://127.0.0.1:{port}", db, app[TELEGRAM_KEY], app[PIPELINE_KEY]
        )

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def bot(start_bot: Callable[..., Any]) -> AsyncIterator[Running]:
    """coopbot in webhook mode."""
    running = await start_bot(webhook=True)
    yield running
    await running.pipeline.join()
