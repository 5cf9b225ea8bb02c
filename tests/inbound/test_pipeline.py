"""The pipeline in a real server: a row that keeps failing is quarantined after a few tries —
logged, counted in /metrics, listed for staff — and never holds up other rows."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.admin.context import ADMIN_KEY
from bot.server import PIPELINE_KEY, TELEGRAM_KEY, make_app
from coopbot.admin.accounts import Role
from coopbot.config import REPO_KNOWLEDGE, load_settings
from coopbot.inbound.pipeline import PipelineConfig
from coopbot.messages import IncomingMessage
from coopbot.storage.inbox import Claimed
from tests.fakes.telegram_api import TOKEN, FakeBotAPI

SECRET = "pipeline-secret"


async def test_a_failing_row_is_quarantined_and_blocks_nothing(
    fake_api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    fake = fake_api
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = load_settings(
        knowledge_dir=REPO_KNOWLEDGE,
        database_url=database_url,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=fake.base_url,
        telegram_webhook_url=base + "/webhooks/telegram",
        telegram_webhook_secret=SECRET,
        broadcast_worker=False,
    )
    app = await make_app(settings, PipelineConfig(lease=5, sweep=0.1, max_attempts=3))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        replies = app[TELEGRAM_KEY].replies
        real = replies.prepare
        tries = []

        async def fragile(item: Claimed) -> IncomingMessage | None:
            if item.message.text == "độc":
                tries.append(item.attempts)
                raise ValueError("cannot translate this update")
            return await real(item)

        replies.prepare = fragile
        await fake.push(fake.text_update(801, "độc"))
        await fake.push(fake.text_update(801, "lap htx can bn nguoi"))  # same chat, behind it
        await fake.push(fake.text_update(802, "htx có con dấu không"))  # another chat
        await fake.wait_for(1, chat_id=802)
        await fake.wait_for(1, chat_id=801, within=30)  # after the bad row is set aside
        assert tries == [0, 1, 2] and "05 thành viên" in fake.messages_to(801)[0].text
        pipeline = app[PIPELINE_KEY]
        await pipeline.join()
        assert (await pipeline.inbox.counts()) == {"done": 2, "quarantined": 1}
        async with aiohttp.ClientSession() as http, http.get(base + "/metrics") as resp:
            assert 'coopbot_quarantined_total{source="inbox"} 1.0' in await resp.text()
        await app[ADMIN_KEY].accounts.create_user("chi", Role.STAFF, "mat-khau-dai-123")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(base + "/admin/login") as resp:
                token = next(c.value for c in http.cookie_jar if c.key == "coopbot_login")
            form = {"name": "chi", "password": "mat-khau-dai-123", "csrf": token}
            async with http.post(base + "/admin/login", data=form) as resp:
                assert resp.status == 200 and 'id="quarantined">1<' in await resp.text()
            async with http.get(base + "/admin/errors") as resp:
                page = await resp.text()
                assert "ValueError" in page and "cannot translate" in page
    finally:
        await runner.cleanup()
