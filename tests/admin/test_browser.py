"""End to end in Debian's Chromium (Playwright, no browser download): the staff day."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from coopbot.core import Core
from tests.admin.conftest import PASSWORD, USERS, Site, start_site, stop_site

pytestmark = pytest.mark.browser
BAD = "ve may bay di ha noi mua o dau"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    """Debian's chromium (``apt-get install chromium``; .ci/run installs it)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium."""
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield b
        await b.close()


@pytest.fixture
async def web(tmp_path: Path, shared_core: Core) -> AsyncIterator[Site]:
    """The whole web side on a SQLite file."""
    site, runner = await start_site(f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}", shared_core)
    for name, role in USERS.items():
        await site.admin.accounts.create_user(name, role, PASSWORD)
    yield site
    await stop_site(site, runner)


async def _chat(page: Page, text: str) -> str:
    """Type a question in the web chat and return the bot's answer bubble."""
    before = await page.locator(".msg.bot").count()
    await page.fill("#q", text)
    await page.press("#q", "Enter")
    bubble = page.locator(".msg.bot").nth(before)
    await bubble.wait_for()
    return await bubble.inner_text()


async def _sign_in(page: Page, base: str, name: str) -> None:
    """Use the sign-in form like a person."""
    await page.goto(base + "/admin/")
    assert "/admin/login" in page.url
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(base + "/admin/")


async def test_staff_fix_an_unanswered_question_and_export(browser: Browser, web: Site) -> None:
    farmer = await browser.new_page()
    await farmer.goto(web.base + "/")
    await farmer.locator(".msg.bot").first.wait_for()  # the /start greeting
    for _ in range(2):
        assert "ngoài những gì mình biết" in await _chat(farmer, BAD)

    staff = await (await browser.new_context(accept_downloads=True)).new_page()
    await _sign_in(staff, web.base, "chi")
    chart = staff.locator("svg.daychart")
    await chart.wait_for()
    assert await chart.locator("g.day").count() == 30
    assert await staff.locator("#questions").inner_text() == "2"

    await staff.click("text=Cần xem lại")
    group = staff.locator(".group").first
    assert "2 lượt · 1 người" in await group.inner_text()
    await group.locator("summary", has_text="Gắn làm cách hỏi").click()
    await group.locator("input[name=q]").fill("số thành viên tối thiểu")  # search, no slug
    async with staff.expect_navigation():
        await group.locator("form.search button").click()
    group = staff.locator(".group").first
    assert "Kết quả cho «số thành viên tối thiểu»" in await group.inner_text()
    await group.locator("input[value='tl-so-thanh-vien-toi-thieu-htx']").check()
    await group.locator("form.attach button").click()
    await staff.locator(".flash").wait_for()
    assert "Bot trả lời được câu này ngay" in await staff.locator(".flash").inner_text()
    assert await staff.locator(".group").count() == 0

    assert "ít nhất 05 thành viên" in await _chat(farmer, BAD)

    await staff.click("text=Xuất dữ liệu")
    async with staff.expect_download() as info:
        await staff.locator("form[action$='inquiries.csv'] button").click()
    download = await info.value
    body = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8-sig")
    lines = body.splitlines()
    assert lines[0].startswith("Thời điểm (giờ Việt Nam),Kênh,Người dùng (bí danh),Loại,Tin nhắn")
    assert sum(BAD in line for line in lines) == 3


async def test_staff_cannot_open_officer_or_admin_pages(browser: Browser, web: Site) -> None:
    page = await browser.new_page()
    await _sign_in(page, web.base, "chi")
    for path in ("/admin/users", "/admin/knowledge", "/admin/broadcasts"):
        response = await page.goto(web.base + path)
        assert response is not None and response.status == 403, path
        assert "không có quyền" in await page.inner_text("main")
    nav = await page.inner_text("nav")
    assert "Tài khoản" not in nav and "Thông báo" not in nav


async def test_a_form_stripped_of_its_csrf_token_is_refused(browser: Browser, web: Site) -> None:
    await web.ask(BAD)
    page = await browser.new_page()
    await _sign_in(page, web.base, "an")
    await page.goto(web.base + "/admin/review")
    ignore = page.locator("form[action='/admin/review/ignore']").first
    await ignore.locator("input[name=csrf]").evaluate("el => el.remove()")
    async with page.expect_navigation():
        await ignore.locator("button").click()
    assert "Biểu mẫu đã hết hạn" in await page.inner_text("main")
    assert len(await web.admin.review.unanswered()) == 1


async def test_staff_pages_fit_a_phone_screen(browser: Browser, web: Site) -> None:
    await web.ask(BAD)
    phone = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = await phone.new_page()
    await _sign_in(page, web.base, "an")
    for path in ("/admin/", "/admin/review", "/admin/users", "/admin/export", "/"):
        await page.goto(web.base + path)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path


async def test_dashboard_and_queue_read_well_on_a_360_px_phone(browser: Browser, web: Site) -> None:
    for text in ("thanh lap htx can bao nhieu nguoi", BAD, "xin chào", "/start"):
        await web.ask(text)
    phone = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = await phone.new_page()
    await _sign_in(page, web.base, "chi")
    for days in ("7", "30", "90"):
        await page.goto(f"{web.base}/admin/?days={days}")
        labels = page.locator("svg.daychart text")
        assert await labels.count() >= 4
        heights = await labels.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
        assert min(heights) >= 11, heights  # was about 5 px: a 720-unit viewBox squeezed
        boxes = await labels.evaluate_all(
            "els => els.map(e => [e.getBoundingClientRect().left, e.getBoundingClientRect().right])"
        )
        assert all(a[1] <= b[0] for a, b in pairwise(boxes)), boxes
    assert await page.locator("#questions").inner_text() == "2"
    assert "câu trả lời chắc chắn đã được cán bộ kiểm tra" in await page.inner_text("#checked")
    assert await page.locator("#confident-share").count() == 0
    for path in ("/admin/", "/admin/review", "/admin/review/checks"):
        await page.goto(web.base + path)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
