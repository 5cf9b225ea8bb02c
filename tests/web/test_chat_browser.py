"""The web chat on a 360 px phone in Debian's Chromium (issue 15 items 6 and 8): the history
survives a reload, user bubbles fit their text, 👍/👎 have a row of their own, a favicon."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Request, async_playwright

from coopbot.core import Core
from tests.admin.conftest import Site, start_site, stop_site
from tests.admin.test_browser import CHROMIUM_ARGS, _chromium

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
HISTORY_KEY = "coopbot_history"


@pytest.fixture
async def phone() -> AsyncIterator[Browser]:
    """A headless Chromium."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def web(tmp_path: Path, shared_core: Core) -> AsyncIterator[Site]:
    """The chat and /api/chat on a SQLite file."""
    site, runner = await start_site(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", shared_core)
    yield site
    await stop_site(site, runner)


async def _open(browser: Browser, base: str) -> Page:
    """The chat page on a phone-sized screen, after the welcome has arrived."""
    context = await browser.new_context(viewport=PHONE, is_mobile=True)
    page = await context.new_page()
    await page.goto(base + "/")
    await page.locator(".msg.bot").first.wait_for()
    return page


async def _say(page: Page, text: str) -> str:
    """Type a message; the text of the first reply bubble."""
    before = await page.locator(".msg.bot").count()
    await page.fill("#q", text)
    await page.press("#q", "Enter")
    reply = page.locator(".msg.bot").nth(before)
    await reply.wait_for()
    return await reply.inner_text()


async def _labels(page: Page, rows: str) -> list[str]:
    """The labels of the buttons in the last row matching ``rows``."""
    row = page.locator(rows).last
    return [t.strip() for t in await row.locator("button").all_inner_texts()]


async def test_reload_keeps_the_conversation_and_the_current_question(
    phone: Browser, web: Site
) -> None:
    page = await _open(phone, web.base)
    assert "Lịch sử chỉ lưu trên máy này" in await page.inner_text("p.kept")
    await _say(page, "/kiemtra")
    assert "Câu 2/" in await _say(page, "7")
    bubbles = await page.locator(".msg").all_inner_texts()
    buttons = await _labels(page, ".buttons")
    assert "✖ Dừng" in buttons and "⬅ Quay lại" in buttons

    posted: list[Request] = []
    page.on("request", lambda r: posted.append(r) if r.url.endswith("/api/chat") else None)
    await page.reload()
    await page.locator(".msg").nth(len(bubbles) - 1).wait_for()
    assert await page.locator(".msg").all_inner_texts() == bubbles
    assert await _labels(page, ".buttons") == buttons
    assert await page.locator(".buttons").count() == 1  # older answers keep no buttons

    before = await page.locator(".msg.bot").count()
    await page.locator(".buttons").last.get_by_text("⬅ Quay lại").click()
    assert "Câu 1/" in await page.locator(".msg.bot").nth(before).inner_text()
    assert [json.loads(r.post_data or "{}").get("text") for r in posted] == [None]  # no /start

    stored = await page.evaluate(f"JSON.parse(localStorage.getItem('{HISTORY_KEY}'))")
    assert [i["text"] for i in stored] == await page.locator(".msg").all_inner_texts()
    assert [bool(i.get("buttons")) for i in stored].count(True) == 1


async def test_clearing_the_history_starts_afresh(phone: Browser, web: Site) -> None:
    page = await _open(phone, web.base)
    welcome = await page.locator(".msg").count()
    await _say(page, "lap htx can may nguoi")
    page.on("dialog", lambda dialog: dialog.accept())
    async with page.expect_response("**/api/chat"):
        await page.get_by_role("button", name="Xoá lịch sử trên máy này").click()
    await page.locator(".msg.bot").nth(welcome - 1).wait_for()
    texts = await page.locator(".msg").all_inner_texts()
    assert len(texts) == welcome and "Xin chào" in texts[0]
    await page.reload()
    await page.locator(".msg").nth(welcome - 1).wait_for()
    assert await page.locator(".msg").all_inner_texts() == texts


async def test_history_keeps_the_last_fifty_bubbles(phone: Browser, web: Site) -> None:
    page = await _open(phone, web.base)
    items = [{"who": "me" if i % 2 else "bot", "text": f"tin {i}"} for i in range(70)]
    await page.evaluate(f"localStorage.setItem('{HISTORY_KEY}', {json.dumps(json.dumps(items))})")
    await page.reload()
    await page.locator(".msg").last.wait_for()
    texts = await page.locator(".msg").all_inner_texts()
    assert texts == [f"tin {i}" for i in range(20, 70)]


async def test_bubbles_votes_and_icon_on_a_phone(phone: Browser, web: Site) -> None:
    page = await _open(phone, web.base)
    assert "Nguồn:" in await _say(page, "lap htx can may nguoi")
    suggestions = await _labels(page, ".buttons:not(.votes)")
    votes = await _labels(page, ".buttons.votes")
    assert votes == ["👍 Hữu ích", "👎 Chưa đúng"]
    assert suggestions and not any(label in votes for label in suggestions)
    row = await page.locator(".buttons:not(.votes)").last.bounding_box()
    vote_row = await page.locator(".buttons.votes").last.bounding_box()
    assert row and vote_row and vote_row["y"] >= row["y"] + row["height"]

    await _say(page, "ok")
    log = await page.locator("#log").bounding_box()
    short = await page.locator(".msg.me").last.bounding_box()
    await _say(page, "Cho em hỏi hợp tác xã của em có 7 thành viên thì có cần lập ban kiểm soát")
    long = await page.locator(".msg.me").last.bounding_box()
    assert log and short and long
    assert short["width"] < 0.25 * log["width"]  # "ok" is a small bubble, not 85 % wide
    assert short["x"] + short["width"] == pytest.approx(long["x"] + long["width"], abs=1)
    assert 0.6 * log["width"] < long["width"] <= 0.86 * log["width"]

    icon = await page.get_attribute("link[rel=icon]", "href")
    assert icon is not None
    for path in (icon, "/favicon.ico"):
        response = await page.request.get(web.base + path)
        assert response.ok and response.headers["content-type"].startswith("image/"), path
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
