"""The chat page, its icon and small talk through ``POST /api/chat`` (issue 15 items 5, 6, 8)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from coopbot.core import Core
from tests.admin.conftest import Site, start_site, stop_site


@pytest.fixture
async def web(tmp_path: Path, shared_core: Core) -> AsyncIterator[Site]:
    """The chat and /api/chat on a SQLite file."""
    site, runner = await start_site(f"sqlite+aiosqlite:///{tmp_path / 'page.db'}", shared_core)
    yield site
    await stop_site(site, runner)


async def test_small_talk_through_the_api(web: Site) -> None:
    say = web.core.kb.messages
    replies = {}
    for text in ("ok", "cảm ơn bạn nhiều nhé", "ko hieu", "trả lời sai rồi", "có ai không"):
        body = await web.ask(text)
        replies[text] = body["replies"][0]["text"]
    assert replies == {
        "ok": say("ack"),
        "cảm ơn bạn nhiều nhé": say("thanks"),
        "ko hieu": say("confused"),
        "trả lời sai rồi": say("complaint"),
        "có ai không": say("call"),
    }
    typed = await web.ask("xoa du lieu cua toi")  # a typed request asks to confirm
    assert "không hoàn tác" in typed["replies"][0]["text"]
    confirm = await web.ask("/xoadulieu")
    assert confirm["replies"][0]["text"] == say("erase_confirm")


async def test_page_links_its_icon_and_says_where_history_is_kept(web: Site) -> None:
    say = web.core.kb.messages
    async with aiohttp.ClientSession() as http:
        async with http.get(web.base + "/") as resp:
            html = await resp.text()
        assert '<link rel="icon" href="/favicon.svg"' in html
        assert say("web_history_note") in html and say("web_history_clear") in html
        async with http.get(web.base + "/favicon.ico") as resp:
            assert resp.status == 200 and resp.content_type == "image/x-icon"
            assert (await resp.read())[:4] == b"\x00\x00\x01\x00"
        async with http.get(web.base + "/favicon.svg") as resp:
            assert resp.status == 200 and resp.content_type == "image/svg+xml"
            assert (await resp.text()).startswith("<svg")
        async with http.get(web.base + "/admin/login") as resp:
            assert '<link rel="icon" href="/favicon.svg"' in await resp.text()
