"""Issue 15 (questionnaire items) through ``POST /api/chat`` on a real loopback server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.server import make_app
from coopbot.config import REPO_KNOWLEDGE, load_settings


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    """``coopbot serve`` on an ephemeral loopback port with a SQLite file."""
    db = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    runner = web.AppRunner(
        await make_app(load_settings(knowledge_dir=REPO_KNOWLEDGE, database_url=db))
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    await runner.cleanup()


class Farmer:
    """One user of /api/chat; keeps the last replies."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.replies: list[dict[str, Any]] = []

    async def send(self, **body: str) -> str:
        """Post text or a payload; the replies' text."""
        async with aiohttp.ClientSession() as http:
            data = json.dumps({"user_id": "farmer-15", **body}).encode()
            async with http.post(f"{self.base}/api/chat", data=data) as resp:
                assert resp.status == 200
                self.replies = (await resp.json())["replies"]
        return "\n".join(r["text"] for r in self.replies)

    async def press(self, label: str) -> str:
        """Press the button with this label."""
        buttons = [b for r in self.replies for b in r["buttons"]]
        return await self.send(payload=next(b["payload"] for b in buttons if b["label"] == label))


async def test_offer_confirm_and_facts_over_http(base: str) -> None:
    farmer = Farmer(base)
    text = await farmer.send(text="/help")
    assert "/danhgia" in text and "25 câu" in text and "phút" in text
    text = await farmer.send(text="danh gia htx")
    assert "25 câu" in text and "Câu 1/" not in text
    text = await farmer.press("▶ Bắt đầu")
    assert "Câu 1/25" in text
    text = await farmer.send(text="3")
    assert "3 năm hay 3 tháng" in text
    text = await farmer.press("3 năm")
    assert "Câu 2/25" in text
    text = await farmer.send(text="ko")  # stopped 0 months
    assert "Câu 3/25" in text and "📏 Cách chấm" in text  # no official band: no fact asked
    assert "💡 Để tự chấm, hãy xem:" in text
