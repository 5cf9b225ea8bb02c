"""/readyz and /metrics over a real loopback server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.metrics import Metrics
from bot.server import make_app
from bot.web.ops import add_ops_routes
from coopbot.config import REPO_KNOWLEDGE, load_settings
from coopbot.storage.db import make_engine


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def base(database_url: str) -> AsyncIterator[str]:
    """``coopbot serve`` on SQLite and on PostgreSQL."""
    settings = load_settings(knowledge_dir=REPO_KNOWLEDGE, database_url=database_url)
    runner, url = await _serve(await make_app(settings))
    yield url
    await runner.cleanup()


async def test_ready_and_metrics_count_messages(base: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/readyz") as resp:
            assert resp.status == 200 and (await resp.json())["status"] == "ok"
        for text in ("lap htx can bao nhieu nguoi", "thời tiết hôm nay", "/start"):
            body = {"user_id": "m1", "text": text}
            async with http.post(f"{base}/api/chat", json=body) as resp:
                assert resp.status == 200
        async with http.get(f"{base}/metrics") as resp:
            assert resp.status == 200 and resp.content_type == "text/plain"
            page = await resp.text()
    assert 'coopbot_messages_total{channel="web",kind="faq"} 1.0' in page
    assert 'coopbot_messages_total{channel="web",kind="out_of_scope"} 1.0' in page
    assert 'coopbot_messages_total{channel="web",kind="command"} 1.0' in page
    assert 'coopbot_handle_seconds_count{channel="web"} 3.0' in page
    assert "coopbot_answer_confidence_count 2.0" in page
    assert 'coopbot_answers_total{confident="true"} 1.0' in page
    assert 'coopbot_sends_total{channel="web",outcome="sent"}' in page
    assert "m1" not in page


async def test_readyz_is_503_with_a_reason_when_the_database_is_down() -> None:
    engine = make_engine("postgresql+asyncpg://nobody:secretpw@127.0.0.1:9/none")
    app = web.Application()
    add_ops_routes(app, engine, Metrics())
    runner, url = await _serve(app)
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{url}/readyz") as resp:
            body = await resp.json()
        assert resp.status == 503 and body["status"] == "unavailable"
        assert "database" in body["reason"] and "secretpw" not in body["reason"]
    finally:
        await runner.cleanup()
        await engine.dispose()


def test_each_app_has_its_own_registry(tmp_path: Path) -> None:
    one, two = Metrics(), Metrics()
    one.handled("web", "faq", True, 0.9, 0.01)
    assert b'kind="faq"' in one.exposition() and b'kind="faq"' not in two.exposition()


async def test_retention_job_runs_in_the_server_and_stops_with_it(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from bot.jobs import retention_job
    from coopbot.storage.migrate import upgrade_async

    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    await upgrade_async(url)
    engine = make_engine(url)
    old = datetime.now(UTC) - timedelta(days=10)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO inquiry (created_at, channel, user_key, kind, text, confident)"
                " VALUES (:t, 'web', 'u', 'faq', 'raw words', 1)"
            ),
            {"t": old},
        )
    app = web.Application()
    app.cleanup_ctx.append(retention_job(engine, days=1, interval=3600, delay=0))
    runner, _ = await _serve(app)
    try:
        for _ in range(200):
            async with engine.connect() as conn:
                left = (await conn.execute(text("SELECT text FROM inquiry"))).scalar_one()
            if left is None:
                break
            await asyncio.sleep(0.02)
        assert left is None
    finally:
        await runner.cleanup()
        await engine.dispose()
