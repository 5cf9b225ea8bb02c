"""The staff web over HTTP: sign-in, roles, CSRF, throttling, review actions, exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlmodel import select

from coopbot.core import Core
from coopbot.storage.db import session_factory
from coopbot.storage.tables import Inquiry, Subscriber
from tests.admin.conftest import PASSWORD, Site, csrf_of, start_site, stop_site

CONTRACT = ["/admin/", "/admin/review", "/admin/users", "/admin/export/inquiries.csv"]
BAD = "ve may bay di ha noi mua o dau"
VARIANTS = [BAD, "mua ve may bay di ha noi o dau", "ve may bay ha noi mua o dau vay", BAD]


async def _status(http: aiohttp.ClientSession, url: str) -> int:
    async with http.get(url, allow_redirects=False) as resp:
        return resp.status


async def _inquiries(site: Site) -> list[Inquiry]:
    async with session_factory(site.engine)() as s:
        return list((await s.exec(select(Inquiry).order_by(Inquiry.id))).all())  # type: ignore[arg-type]


async def test_anonymous_requests_go_to_sign_in(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        for path in CONTRACT:
            async with http.get(site.base + path, allow_redirects=False) as resp:
                assert resp.status == 302, path
                assert resp.headers["Location"].startswith("/admin/login?next=")
        async with http.post(site.base + "/admin/review/ignore", allow_redirects=False) as resp:
            assert resp.status == 302


async def test_each_role_reaches_only_its_pages(site: Site) -> None:
    expected = {
        "chi": {"/admin/": 200, "/admin/review": 200, "/admin/users": 403, "/admin/knowledge": 403},
        "binh": {"/admin/": 200, "/admin/users": 403, "/admin/knowledge": 403},
        "an": {"/admin/": 200, "/admin/users": 200, "/admin/knowledge": 200},
    }
    for name, pages in expected.items():
        async with await site.login(name) as http:
            got = {path: await _status(http, site.base + path) for path in pages}
            assert got == pages, name
            assert await _status(http, site.base + "/admin/export/inquiries.csv") == 200


async def test_a_form_without_its_csrf_token_is_refused(site: Site) -> None:
    await site.ask(BAD)
    rows = await _inquiries(site)
    async with await site.login("an") as http:
        ids = ",".join(str(r.id) for r in rows)
        for form in ({"ids": ids}, {"ids": ids, "csrf": "forged"}):
            async with http.post(site.base + "/admin/review/ignore", data=form) as resp:
                assert resp.status == 403
                assert "Biểu mẫu đã hết hạn" in await resp.text()
    assert all(r.review is None for r in await _inquiries(site))


async def test_sign_in_form_needs_its_own_token(site: Site) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        form = {"name": "an", "password": PASSWORD}
        async with http.post(site.base + "/admin/login", data=form, allow_redirects=False) as r:
            assert r.status == 403
        assert await _status(http, site.base + "/admin/") == 302


async def test_wrong_passwords_lock_the_account_for_a_while(site: Site) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for _ in range(5):
            assert await site.sign_in(http, "chi", "wrong-password") == 401
        assert await site.sign_in(http, "chi", PASSWORD) == 429
        assert await site.sign_in(http, "an", PASSWORD) == 303  # other accounts still work


async def test_session_cookie_is_http_only_strict_and_secure_behind_https(site: Site) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(site.base + "/admin/login") as resp:
            token = (await resp.text()).split('name="csrf" value="')[1].split('"')[0]
        form = {"csrf": token, "name": "chi", "password": PASSWORD, "next": "https://evil.example/"}
        async with http.post(
            site.base + "/admin/login",
            data=form,
            allow_redirects=False,
            headers={"X-Forwarded-Proto": "https"},
        ) as resp:
            assert resp.status == 303 and resp.headers["Location"] == "/admin/"
            cookie = resp.cookies["coopbot_admin"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["secure"]
    assert cookie["path"] == "/admin"


async def test_sign_out_ends_the_session_for_good(site: Site) -> None:
    http = await site.login("chi")
    token = next(c.value for c in http.cookie_jar if c.key == "coopbot_admin")
    jar = aiohttp.CookieJar(unsafe=True)  # the cookie replayed by hand works before sign-out
    async with aiohttp.ClientSession(cookie_jar=jar) as replay:
        jar.update_cookies({"coopbot_admin": token})
        assert await _status(replay, site.base + "/admin/") == 200
    csrf = await csrf_of(http, site.base + "/admin/")
    async with http.post(site.base + "/admin/logout", data={"csrf": csrf}) as resp:
        assert resp.status == 200 and "Đăng nhập" in await resp.text()
    assert await _status(http, site.base + "/admin/") == 302
    await http.close()
    jar = aiohttp.CookieJar(unsafe=True)  # and opens nothing after it
    async with aiohttp.ClientSession(cookie_jar=jar) as replay:
        jar.update_cookies({"coopbot_admin": token})
        assert await _status(replay, site.base + "/admin/") == 302


async def test_similar_questions_are_one_group_and_attaching_answers_them(site: Site) -> None:
    for i, text in enumerate(VARIANTS):
        reply = await site.ask(text, user=f"u{i}")
        assert "ngoài những gì mình biết" in reply["replies"][0]["text"]
    groups = await site.admin.review.unanswered()
    assert len(groups) == 1 and groups[0].count == 4 and groups[0].users == 4
    async with await site.login("chi") as http:
        async with http.get(site.base + "/admin/review") as resp:
            page = await resp.text()
            assert page.count('class="box group"') == 1 and "4 lượt · 4 người" in page
        csrf = await csrf_of(http, site.base + "/admin/review")
        form = {
            "csrf": csrf,
            "ids": ",".join(map(str, groups[0].ids)),
            "entry_id": "tl-so-thanh-vien-toi-thieu-htx",
            "text": BAD,
        }
        async with http.post(site.base + "/admin/review/attach", data=form) as resp:
            assert resp.status == 200 and "Đã gắn cách hỏi" in await resp.text()
    answer = await site.ask(BAD, user="later")
    assert "ít nhất 05 thành viên" in answer["replies"][0]["text"]
    assert await site.admin.review.unanswered() == []
    assert {r.review for r in await _inquiries(site) if r.text in VARIANTS and r.user_key} >= {
        "attached"
    }


async def test_an_attached_phrasing_survives_a_restart(site: Site, shared_core: Core) -> None:
    await site.admin.curation.add_phrasing("tl-so-thanh-vien-toi-thieu-htx", BAD, "chi")
    restarted, runner = await start_site(site.database_url, shared_core)
    try:
        answer = await restarted.ask(BAD)
        assert "ít nhất 05 thành viên" in answer["replies"][0]["text"]
    finally:
        await stop_site(restarted, runner)


async def test_draft_and_ignore_take_groups_off_the_queue(site: Site) -> None:
    await site.ask(BAD)
    await site.ask("con bo nha toi bi om phai lam sao")
    first, second = await site.admin.review.unanswered()
    async with await site.login("an") as http:
        csrf = await csrf_of(http, site.base + "/admin/review")
        draft = {"csrf": csrf, "ids": str(first.ids[0]), "title": first.text, "answer": "Chưa có."}
        async with http.post(site.base + "/admin/review/draft", data=draft) as resp:
            assert "Đã lưu bản nháp" in await resp.text()
        ignore = {"csrf": csrf, "ids": str(second.ids[0])}
        async with http.post(site.base + "/admin/review/ignore", data=ignore) as resp:
            assert "Đã bỏ qua" in await resp.text()
        assert await site.admin.review.unanswered() == []
        async with http.get(site.base + "/admin/knowledge/drafts.yaml") as resp:
            assert first.text in await resp.text()


async def test_inquiries_csv_filters_and_neutralises_formulas(site: Site) -> None:
    await site.ask('=HYPERLINK("http://x")')
    await site.ask("thanh lap htx can bao nhieu nguoi")
    async with await site.login("chi") as http:
        async with http.get(site.base + "/admin/export/inquiries.csv") as resp:
            assert resp.headers["Content-Type"].startswith("text/csv")
            body = (await resp.read()).decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(body)))
        assert [r["Tin nhắn"] for r in rows] == [
            '\'=HYPERLINK("http://x")',
            "thanh lap htx can bao nhieu nguoi",
        ]
        user = "Người dùng (bí danh)"
        assert all(r[user] != "farmer" and len(r[user]) == 16 for r in rows)
        # Vietnamese labels, Vietnam time with its offset
        assert [r["Kênh"] for r in rows] == ["Web", "Web"]
        assert [r["Loại"] for r in rows] == ["Không trả lời được", "Đã trả lời"]
        assert [r["Trả lời chắc chắn"] for r in rows] == ["không", "có"]
        stamp = datetime.fromisoformat(rows[0]["Thời điểm (giờ Việt Nam)"])
        assert stamp.utcoffset() == timedelta(hours=7)
        assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=5)
        url = site.base + "/admin/export/inquiries.csv?status=answered&channel=web"
        async with http.get(url) as resp:
            answered = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
        assert [r["Mã mục trả lời"] for r in answered] == ["tl-so-thanh-vien-toi-thieu-htx"]
        async with http.get(site.base + "/admin/export/inquiries.csv?channel=zalo") as resp:
            assert len((await resp.read()).decode("utf-8-sig").splitlines()) == 1
        async with http.get(
            site.base + "/admin/export/inquiries.csv?from=2000-01-01&to=2000-01-02"
        ) as resp:
            assert len((await resp.read()).decode("utf-8-sig").splitlines()) == 1
        async with http.get(site.base + "/admin/export/inquiries.csv?from=hôm-qua") as resp:
            assert resp.status == 400 and "YYYY-MM-DD" in await resp.text()


async def test_dashboard_shows_counts_and_the_chart(site: Site) -> None:
    await site.ask("thanh lap htx can bao nhieu nguoi")
    await site.ask(BAD)
    async with await site.login("chi") as http, http.get(site.base + "/admin/?days=7") as resp:
        page = await resp.text()
    assert 'id="questions">2<' in page and 'id="answered">1<' in page
    assert 'id="down-share">0%<' in page and "trả lời chắc chắn 78" not in page
    assert page.count('class="day"') == 7 and 'data-total="2"' in page
    assert "Số thành viên tối thiểu" in page or "tl-so-thanh-vien-toi-thieu-htx" in page


async def test_admin_manages_accounts(site: Site) -> None:
    async with await site.login("an") as http:
        csrf = await csrf_of(http, site.base + "/admin/users")
        form = {"csrf": csrf, "name": "dung", "role": "staff", "password": "mot-mat-khau-moi"}
        async with http.post(site.base + "/admin/users", data=form) as resp:
            assert "Đã thêm tài khoản" in await resp.text()
        async with http.post(site.base + "/admin/users", data=form) as resp:
            assert "Tên đăng nhập đã có" in await resp.text()
        users = {u.name: u for u in await site.admin.accounts.users()}
        dung = await site.login("dung", "mot-mat-khau-moi")
        assert await _status(dung, site.base + "/admin/") == 200
        lock = {"csrf": csrf, "action": "deactivate"}
        async with http.post(f"{site.base}/admin/users/{users['dung'].id}", data=lock) as resp:
            assert "Đã khoá" in await resp.text()
        assert await _status(dung, site.base + "/admin/") == 302
        await dung.close()
        async with http.post(f"{site.base}/admin/users/{users['an'].id}", data=lock) as resp:
            assert "không thể tự khoá" in await resp.text()


async def test_conversations_show_pseudonyms_only(site: Site) -> None:
    await site.ask("xin chao", user="0912345678")
    async with await site.login("chi") as http:
        async with http.get(site.base + "/admin/conversations") as resp:
            page = await resp.text()
        assert "0912345678" not in page
        key = page.split("/admin/conversations?user=")[1].split('"')[0]
        async with http.get(f"{site.base}/admin/conversations?user={key}") as resp:
            assert "xin chao" in await resp.text()


async def test_another_worker_picks_up_an_attached_phrasing(site: Site, shared_core: Core) -> None:
    other, runner = await start_site(site.database_url, shared_core)
    try:
        assert not await other.admin.sync_once()
        assert "ngoài những gì mình biết" in (await other.ask(BAD))["replies"][0]["text"]
        await site.admin.curation.add_phrasing("tl-so-thanh-vien-toi-thieu-htx", BAD, "chi")
        await site.admin.refresh_phrasings()
        assert await other.admin.sync_once()
        assert "ít nhất 05 thành viên" in (await other.ask(BAD))["replies"][0]["text"]
    finally:
        await stop_site(other, runner)


async def _subscribe(site: Site, rows: list[tuple[str, str, str | None]]) -> None:
    async with session_factory(site.engine)() as s:
        for channel, chat_id, province in rows:
            s.add(Subscriber(channel=channel, chat_id=chat_id, user_key=chat_id,
                             province=province, subscribed=True))  # fmt: skip
        await s.commit()


async def test_officer_previews_confirms_and_cancels_an_announcement(site: Site) -> None:
    await _subscribe(
        site,
        [("telegram", "1", "quang-ngai"), ("zalo", "2", "quang-ngai"), ("telegram", "3", "ha-noi")],
    )
    async with await site.login("chi") as staff:
        assert await _status(staff, site.base + "/admin/broadcasts") == 403
    async with await site.login("binh") as http:
        csrf = await csrf_of(http, site.base + "/admin/broadcasts")
        form = {"csrf": csrf, "text": "Hạn nộp tự đánh giá là 15/12.", "province": "Kon Tum"}
        async with http.post(site.base + "/admin/broadcasts", data=form) as resp:
            page = await resp.text()
            draft_url = str(resp.url)
        assert 'id="recipients">2<' in page and "Zalo: 1 tin chủ động" in page
        assert "Quảng Ngãi" in page  # Kon Tum merged into Quảng Ngãi
        broadcast_id = int(draft_url.rsplit("/", 1)[1])
        async with http.post(
            f"{draft_url}/send", data={"csrf": csrf, "schedule": "2000-01-01T08:00"}
        ) as resp:
            assert "Giờ hẹn không hợp lệ" in await resp.text()
        async with http.post(f"{draft_url}/send", data={"csrf": csrf}) as resp:
            assert "Tiến độ" in await resp.text()
        status = await site.admin.broadcasts.status(broadcast_id)
        assert (status.total, status.pending) == (2, 2)
        async with http.post(f"{draft_url}/cancel", data={"csrf": csrf}) as resp:
            assert "Đã huỷ" in await resp.text()
        assert (await site.admin.broadcasts.status(broadcast_id)).pending == 0
        bad = {"csrf": csrf, "text": "x", "province": "Atlantis"}
        async with http.post(site.base + "/admin/broadcasts", data=bad) as resp:
            assert "Chưa gửi được" in await resp.text()


async def test_huge_ids_are_404_and_exports_carry_the_security_headers(site: Site) -> None:
    http = await site.login("an")
    async with http:
        for path in ("/admin/broadcasts/99999999999999999999", "/admin/broadcasts/" + "9" * 400):
            assert await _status(http, site.base + path) == 404
        csrf = await csrf_of(http, site.base + "/admin/users")
        form = {"csrf": csrf, "role": "staff"}
        async with http.post(site.base + "/admin/users/99999999999", data=form) as resp:
            assert resp.status == 404
        form = {"csrf": csrf, "ids": "1," + "9" * 40}
        async with http.post(site.base + "/admin/review/ignore", data=form) as resp:
            assert resp.status == 200  # redirected back to the queue, the huge id dropped
        async with http.get(site.base + "/admin/export/inquiries.csv") as resp:
            assert resp.headers["X-Frame-Options"] == "DENY"
            assert "default-src" in resp.headers["Content-Security-Policy"]
            assert resp.headers["Cache-Control"] == "no-store"


async def test_sign_in_while_the_database_is_down_is_503_not_500(site: Site) -> None:
    async def down(keys: list[str]) -> float:
        raise ConnectionRefusedError("database unreachable")

    site.admin.throttle.attempt = down  # type: ignore[method-assign]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{site.base}/admin/login") as resp:
            assert resp.status == 200
        token = next(c.value for c in http.cookie_jar if c.key == "coopbot_login")
        form = {"name": "an", "password": PASSWORD, "csrf": token}
        async with http.post(f"{site.base}/admin/login", data=form) as resp:
            assert resp.status == 503 and "bận" in await resp.text()
            assert resp.headers["Retry-After"] == "30"
