"""Issue 15, items 10–12 over HTTP: one definition of a question, the review queue's search and
press rendering, small talk kept apart, and the quick checks with their verdict export."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import pytest

import coopbot.admin.review as review_module
from coopbot.storage.db import session_factory
from coopbot.storage.tables import Assessment, Inquiry
from tests.admin.conftest import Site, csrf_of

QUESTION = "thanh lap htx can bao nhieu nguoi"
ANSWERED = "tl-so-thanh-vien-toi-thieu-htx"
BAD = "ve may bay di ha noi mua o dau"
RADIO = re.compile(r'name="entry_id" value="([^"]+)"')


async def _press(site: Site, payload: str, user: str = "farmer") -> dict[str, Any]:
    """A button press through /api/chat."""
    async with aiohttp.ClientSession() as http:
        body = {"user_id": user, "payload": payload}
        async with http.post(f"{site.base}/api/chat", json=body) as resp:
            assert resp.status == 200
            return await resp.json()  # type: ignore[no-any-return]


def _button(reply: dict[str, Any], label: str) -> str:
    """The payload of the first button whose label contains ``label``."""
    return next(b["payload"] for r in reply["replies"] for b in r["buttons"] if label in b["label"])


async def _rows(site: Site) -> list[Inquiry]:
    async with session_factory(site.engine)() as s:
        from sqlmodel import col, select

        return list((await s.exec(select(Inquiry).order_by(col(Inquiry.id)))).all())


async def test_questions_are_counted_one_way_and_labelled(site: Site) -> None:
    await site.ask("/start")  # a page load
    await site.ask("xin chào")  # small talk
    await site.ask(QUESTION)
    answer = await site.ask("vốn góp tối đa của một thành viên", user="zalo-like")
    await _press(site, _button(answer, "👎"), user="zalo-like")  # a vote: no inquiry
    await site.ask(BAD)
    await site.ask("/vayquy", user="flow")  # starts a questionnaire
    await site.ask("1", user="flow")  # a questionnaire answer
    await _press(site, f"faq:{ANSWERED}")  # a button that opens an entry
    article = await site.ask("dieu 42 luat htx")  # a law look-up is a question typed
    await _press(site, _button(article, "Xem tiếp"))  # its next page is a press
    async with session_factory(site.engine)() as s:
        s.add(Assessment(channel="web", user_key="x", flow_id="tt01-2020", answers={},
                         outcome={"grade": "trung_binh", "total": 55}))  # fmt: skip
        await s.commit()
    kinds = [r.kind for r in await _rows(site)]
    assert "button" in kinds and "command" in kinds and "smalltalk" in kinds, kinds
    assert kinds.count("law") == 1 and kinds.count("button") == 2, kinds
    async with await site.login("chi") as http, http.get(site.base + "/admin/") as resp:
        page = await resp.text()
    assert 'id="questions">4<' in page  # the four typed questions only
    channel_rows = re.findall(r"<tr><td>(Web|Telegram|Zalo)</td><td>(\d+)</td></tr>", page)
    assert channel_rows == [("Web", "4")]  # per channel agrees with the total, and is labelled
    assert 'id="down-share">33%<' in page  # one of three answered questions voted 👎
    assert "Trung bình: 1" in page and "trung_binh" not in page
    assert "0 câu trả lời chắc chắn đã được cán bộ kiểm tra (đúng 0 / sai 0)" in page


async def test_a_thumbs_down_is_attached_by_search_not_to_the_entry_voted_wrong(
    site: Site,
) -> None:
    answer = await site.ask(QUESTION)
    await _press(site, _button(answer, "👎"))
    async with await site.login("chi") as http:
        async with http.get(site.base + "/admin/review") as resp:
            page = await resp.text()
        disliked = page.split("Câu trả lời bị chê")[1]
        offered = RADIO.findall(disliked)
        assert offered and ANSWERED not in offered  # the entry just voted wrong is not offered
        assert "checked" not in disliked  # and nothing is chosen for staff
        anchor = re.search(r'name="pick" value="(\d+)"', disliked)
        assert anchor is not None
        url = f"{site.base}/admin/review?pick={anchor.group(1)}&q=quỹ hỗ trợ phát triển"
        async with http.get(url) as resp:
            found = (await resp.text()).split("Câu trả lời bị chê")[1]
        assert "Kết quả cho «quỹ hỗ trợ phát triển»" in found
        picked = RADIO.findall(found)
        assert picked and all(p.startswith("qht-") for p in picked[:2]), picked
        csrf = await csrf_of(http, site.base + "/admin/review")
        ids = re.search(r'name="ids" value="([\d,]+)"', disliked)
        assert ids is not None
        form = {"csrf": csrf, "ids": ids.group(1), "text": QUESTION}
        async with http.post(site.base + "/admin/review/attach", data=form) as resp:
            assert "Chưa chọn mục nào" in await resp.text()  # no entry chosen: refused
        form["entry_id"] = picked[0]
        async with http.post(site.base + "/admin/review/attach", data=form) as resp:
            assert "Đã gắn cách hỏi" in await resp.text()
    assert [p.entry_id for p in await site.admin.curation.phrasings()] == [picked[0]]


async def test_a_thumbs_down_on_a_button_shows_the_entry_title(site: Site) -> None:
    opened = await _press(site, f"faq:{ANSWERED}")
    await _press(site, _button(opened, "👎"))
    title = site.core.kb.entry(ANSWERED).title  # type: ignore[union-attr]
    async with await site.login("chi") as http, http.get(site.base + "/admin/review") as resp:
        page = await resp.text()
    disliked = page.split("Câu trả lời bị chê")[1]
    assert f"Bấm nút «{title}»" in disliked
    assert "faq:" not in page  # the payload is never shown as a question
    assert "Gắn làm cách hỏi" not in disliked  # nothing was typed, so nothing to attach


async def test_small_talk_and_commands_are_never_grouped_with_questions(site: Site) -> None:
    await site.ask(BAD)
    async with session_factory(site.engine)() as s:  # logged as unanswered by an older release
        for text in ("xin chào", "/abc"):
            s.add(Inquiry(channel="web", user_key="old", kind="out_of_scope", text=text))
        await s.commit()
    groups = await site.admin.review.unanswered()
    assert [g.text for g in groups] == [BAD]
    chatter = {g.text for g in await site.admin.review.chatter_groups()}
    assert chatter == {"xin chào", "/abc"}
    async with await site.login("chi") as http, http.get(site.base + "/admin/review") as resp:
        page = await resp.text()
    assert page.count('class="box group"') == 1 and "Chào hỏi, cảm ơn, lệnh (2 nhóm" in page


async def test_close_calls_are_checked_and_the_verdicts_exported(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    await site.ask(QUESTION)
    await site.ask(QUESTION, user="other")
    logged = [r for r in await _rows(site) if r.kind == "faq"]
    assert all(r.runner_up and r.runner_up != r.entry_id and r.margin is not None for r in logged)
    monkeypatch.setattr(review_module, "CLOSE_MARGIN", -1.0)  # nothing is close
    assert await site.admin.review.checks() == []
    monkeypatch.setattr(review_module, "CLOSE_MARGIN", 10.0)  # everything is
    (check,) = await site.admin.review.checks()  # one question, asked twice
    assert len(check.ids) == 2 and check.entry_id == ANSWERED
    async with await site.login("chi") as http:
        async with http.get(site.base + "/admin/review/checks") as resp:
            page = await resp.text()
        assert "Kiểm tra nhanh (1)" in page and QUESTION in page
        csrf = await csrf_of(http, site.base + "/admin/review/checks")
        form = {"csrf": csrf, "ids": ",".join(map(str, check.ids)), "verdict": "wrong"}
        async with http.post(site.base + "/admin/review/check", data=form) as resp:
            assert "trả lời sai" in await resp.text()
        assert await site.admin.review.checks() == []
        async with http.get(site.base + "/admin/review/verdicts.jsonl") as resp:
            lines = [json.loads(line) for line in (await resp.text()).splitlines()]
        async with http.get(site.base + "/admin/") as resp:
            dashboard = await resp.text()
    assert lines == [{"q": QUESTION, "entry_id": ANSWERED, "right": False,
                      "runner_up": check.runner_up}] * 2  # fmt: skip
    assert "2 câu trả lời chắc chắn đã được cán bộ kiểm tra (đúng 0 / sai 2)" in dashboard


async def test_merged_phrasings_are_no_longer_pending(site: Site) -> None:
    from datetime import UTC, datetime

    merged = await site.admin.curation.add_phrasing(ANSWERED, BAD, "chi")
    pending = await site.admin.curation.add_phrasing(ANSWERED, "mot cach hoi con cho", "chi")
    await site.admin.curation.mark_merged([merged], datetime.now(UTC))
    async with await site.login("an") as http:
        async with http.get(site.base + "/admin/knowledge") as resp:
            page = await resp.text()
        async with http.get(site.base + "/admin/knowledge/phrasings.yaml") as resp:
            exported = await resp.text()
    assert BAD not in page and BAD not in exported
    assert "mot cach hoi con cho" in page and "mot cach hoi con cho" in exported
    # the running base was loaded before the merge: the phrasing still answers until a restart
    await site.admin.refresh_phrasings()
    assert "ít nhất 05 thành viên" in (await site.ask(BAD))["replies"][0]["text"]
    assert pending != merged


async def test_assessment_csv_has_vietnamese_headers_and_labels(site: Site) -> None:
    async with session_factory(site.engine)() as s:
        s.add(Assessment(channel="zalo", user_key="x", flow_id="tt01-2020", answers={"a": 1},
                         outcome={"grade": "trung_binh", "total": 55}))  # fmt: skip
        await s.commit()
    url = site.base + "/admin/export/assessments.csv"
    async with await site.login("chi") as http, http.get(url) as resp:
        body = (await resp.read()).decode("utf-8-sig")
    header, row = body.splitlines()
    assert header.startswith("Thời điểm (giờ Việt Nam),Kênh,Người dùng (bí danh),Bộ câu hỏi")
    assert ",Zalo," in row and "Trung bình,55" in row and "trung_binh" not in row
    assert site.core.kb.flows["tt01-2020"].title in row and "+07:00" in row


async def test_the_staff_web_refuses_to_queue_an_announcement_to_nobody(site: Site) -> None:
    async with await site.login("binh") as http:
        csrf = await csrf_of(http, site.base + "/admin/broadcasts")
        form = {"csrf": csrf, "text": "Họp ngày 15/12.", "province": "Kon Tum"}
        async with http.post(site.base + "/admin/broadcasts", data=form) as resp:
            draft_url = str(resp.url)
            assert 'id="recipients">0<' in await resp.text()
        async with http.post(f"{draft_url}/send", data={"csrf": csrf}) as resp:  # a stale page
            assert "không khớp người nhận nào" in await resp.text()
    broadcast_id = int(draft_url.rsplit("/", 1)[1])
    assert (await site.admin.broadcasts.status(broadcast_id)).state == "draft"
