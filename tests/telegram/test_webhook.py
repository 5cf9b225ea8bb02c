"""Telegram in webhook mode against the fake Bot API: conversations, forgeries, limits."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from sqlalchemy import text as sql

from bot.telegram.channel import SECRET_HEADER
from coopbot.storage.db import make_engine
from tests.fakes.raw_http import raw_post

from .conftest import SECRET, TOKEN, Running


async def test_start_registers_webhook_and_vietnamese_commands(bot: Running) -> None:
    fake = bot.fake
    assert fake.webhook_url == f"{bot.base}/webhooks/telegram" and fake.webhook_secret == SECRET
    names = [c["command"] for c in fake.commands]
    assert {"start", "help", "danhgia", "kiemtra", "vayquy", "kieumoi", "huy"} <= set(names)
    assert any("Tự chấm điểm" in c["description"] for c in fake.commands)


async def test_a_faq_conversation(bot: Running) -> None:
    fake = bot.fake
    await fake.push(fake.text_update(501, "/start"))
    await fake.wait_for(3, chat_id=501)
    intro, privacy, offer = fake.messages_to(501)
    assert "Xin chào" in intro.text and intro.parse_mode == "HTML"
    assert {b["callback_data"] for b in intro.buttons()} >= {"flow:start:tt01-2020"}
    assert "ẩn danh" in privacy.text
    assert [b["callback_data"] for b in offer.buttons()] == ["sub:start"]
    await fake.push(fake.text_update(501, "lap htx can bn nguoi"))
    await fake.wait_for(4, chat_id=501)
    answer = fake.messages_to(501)[-1]
    assert "05 thành viên" in answer.text and "Nguồn:" in answer.text
    assert (501, "typing") in fake.chat_actions
    await fake.push(fake.text_update(501, "Hôm nay trời có mưa không?"))
    await fake.wait_for(5, chat_id=501)
    assert "ngoài những gì mình biết" in fake.messages_to(501)[-1].text


async def test_a_whole_questionnaire_by_button_presses(bot: Running) -> None:
    fake = bot.fake
    await fake.push(fake.text_update(502, "/vayquy"))
    await fake.wait_for(1, chat_id=502)

    async def press(label: str, expect: int) -> None:
        last = fake.messages_to(502)[-1]
        data = next(b["callback_data"] for b in last.buttons() if b["text"] == label)
        await fake.push(fake.press_update(502, data, last.message_id))
        await fake.wait_for(expect, chat_id=502)

    await press("Thành viên tổ hợp tác", 2)
    await press("Có", 3)
    assert "Câu 3/4" in fake.messages_to(502)[-1].text
    await fake.push(fake.text_update(502, "25%"))
    await fake.wait_for(4, chat_id=502)
    await press("Không", 6)
    result = "\n".join(m.text for m in fake.messages_to(502)[-2:])
    assert "✅" in result and "Nguồn:" in result
    assert len(fake.callback_answers) == 3


async def test_forged_and_malformed_webhooks_are_refused(bot: Running) -> None:
    update = {"update_id": 77, **bot.fake.text_update(503, "xin chào")}
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(
                f"{bot.base}/webhooks/telegram", json=update, headers=headers
            ) as resp:
                assert resp.status == 403
        async with http.post(
            f"{bot.base}/webhooks/telegram",
            data=b"{nope",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ) as resp:
            assert resp.status == 400
    await bot.pipeline.join()
    assert bot.fake.messages_to(503) == []
    assert await bot.pipeline.inbox.counts() == {}  # nothing forged was stored


async def test_a_replayed_update_is_answered_once(bot: Running) -> None:
    fake = bot.fake
    update = fake.text_update(504, "thời hạn góp vốn vào htx")
    await fake.push(update, update_id=9001)
    await fake.push(update, update_id=9001)
    assert fake.webhook_statuses[-2:] == [200, 200]  # both acknowledged: the first was stored
    await bot.pipeline.join()
    assert len(fake.messages_to(504)) == 1


async def test_non_text_updates_get_a_polite_reply(bot: Running) -> None:
    fake = bot.fake
    kinds = [
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
        {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
        {"document": {"file_id": "d", "file_unique_id": "d"}},
        {"location": {"latitude": 14.35, "longitude": 108.0}},
    ]
    for extra in kinds:
        await fake.push(fake.text_update(505, "", **extra))
    edited = fake.text_update(505, "sửa lại")
    await fake.push({"edited_message": {**edited["message"], "edit_date": 1}})
    await fake.wait_for(6, chat_id=505)
    texts = [m.text for m in fake.messages_to(505)]
    assert all("tin nhắn chữ" in t for t in texts[:5]) and "đã sửa" in texts[5]


async def test_blocked_user_is_marked_inactive(bot: Running) -> None:
    fake = bot.fake
    fake.blocked.add(506)
    await fake.push(fake.text_update(506, "lập htx cần mấy người"))
    await bot.pipeline.join()
    assert fake.messages_to(506) == []
    engine = make_engine(bot.db)
    async with engine.connect() as conn:
        rows = (await conn.execute(sql("SELECT chat_id, active FROM contact"))).all()
    await engine.dispose()
    assert rows == [("506", False)]


async def test_one_user_in_order_many_users_at_once(bot: Running) -> None:
    fake = bot.fake
    questions = ["lap htx can bn nguoi", "vốn góp tối đa bao nhiêu", "htx có con dấu không"]

    async def one_chat() -> None:  # Telegram sends one chat's updates in order
        for q in questions:
            await fake.push(fake.text_update(600, q))

    users = range(1000, 1100)
    await asyncio.gather(
        one_chat(), *(fake.push(fake.text_update(u, "thoi han gop von")) for u in users)
    )
    await fake.wait_for(len(questions), chat_id=600, within=30)
    await fake.wait_for(len(questions) + 100, within=60)
    ordered = [m.text for m in fake.messages_to(600)]
    assert "05 thành viên" in ordered[0] and "30%" in ordered[1] and "con dấu" in ordered[2]
    assert all(len(fake.messages_to(u)) == 1 for u in users)
    assert all(s == 200 for s in fake.webhook_statuses)


async def test_token_never_reaches_logs(bot: Running, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    from bot.logs import configure

    caplog.set_level(logging.DEBUG)
    configure("DEBUG", [TOKEN, SECRET])
    logging.getLogger("httpx").setLevel(logging.INFO)  # httpx logs every URL, token included
    await bot.fake.push(bot.fake.text_update(507, "xin chào"))
    await bot.fake.wait_for(1, chat_id=507)
    await bot.pipeline.join()
    assert "/bot***/sendMessage" in caplog.text  # the URL was logged, and redacted
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


async def test_two_workers_on_one_token_split_the_send_limit(start_bot: Any) -> None:
    first = await start_bot(webhook=True)
    second = await start_bot(webhook=True)  # same database: another worker of the same bot
    assert second.channel.sender.pacer.limit == 15
    await first.channel._share_limit()  # its next heartbeat
    assert first.channel.sender.pacer.limit == 15
    await second.channel.presence.leave()
    await first.channel._share_limit()
    assert first.channel.sender.pacer.limit == 30


async def test_malformed_and_forged_bodies_get_4xx(bot: Running) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    message = bot.fake.text_update(508, "xin chào")["message"]
    bodies = [
        b"null",
        b"[1]",
        b'"x"',
        b"[" * 30_000,
        json.dumps({"update_id": 1, "message": "xin chào"}).encode(),
        json.dumps({"update_id": 2, "message": {k: v for k, v in message.items() if k != "chat"}}),
        json.dumps({"update_id": 10**60, "message": message}).encode(),
        b'{"update_id": 1' + b"0" * 50_000 + b"}",
    ]
    async with aiohttp.ClientSession() as http:
        for body in bodies:
            async with http.post(
                f"{bot.base}/webhooks/telegram", data=body, headers=headers
            ) as resp:
                assert resp.status == 400, body[:40]
        other = {"update_id": 3, "my_chat_member": {"chat": {"id": 1}}}  # not answered: 200
        async with http.post(f"{bot.base}/webhooks/telegram", json=other, headers=headers) as r:
            assert r.status == 200
    raw = b"\xff\xfe\x80 not utf-8"  # a secret header that is not UTF-8: refused, not a 500
    assert await raw_post(bot.base, "/webhooks/telegram", {SECRET_HEADER: raw}) == 403
    await bot.pipeline.join()
    assert bot.fake.sent == []


async def test_150_updates_from_one_chat_are_answered_in_order(bot: Running) -> None:
    fake = bot.fake
    questions = ["lap htx can bn nguoi", "vốn góp tối đa bao nhiêu", "htx có con dấu không"]
    for i in range(150):
        await fake.push(fake.text_update(609, questions[i % 3]))
    await fake.wait_for(150, chat_id=609, within=120)
    markers = ["05 thành viên", "30%", "con dấu"]
    texts = [m.text for m in fake.messages_to(609)]
    assert len(texts) == 150
    assert all(markers[i % 3] in t for i, t in enumerate(texts))


async def test_no_ack_while_the_database_is_down_then_answered(start_bot: Any) -> None:
    running = await start_bot(webhook=True)
    fake = running.fake
    inbox, real = running.pipeline.inbox, running.pipeline.inbox.accept_and_claim

    async def down(*args: Any) -> Any:
        raise ConnectionRefusedError("database unreachable")

    inbox.accept_and_claim = down  # type: ignore[method-assign]
    await fake.push(fake.text_update(610, "lap htx can bn nguoi"), update_id=7001)
    assert fake.webhook_statuses[-1] == 503  # not acknowledged: Telegram keeps it and retries
    inbox.accept_and_claim = real  # type: ignore[method-assign]
    await fake.push(fake.text_update(610, "lap htx can bn nguoi"), update_id=7001)
    assert fake.webhook_statuses[-1] == 200
    await fake.wait_for(1, chat_id=610)
    await running.pipeline.join()
    assert len(fake.messages_to(610)) == 1
