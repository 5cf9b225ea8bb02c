"""Zalo OA channel against the fake Zalo API: signed webhooks, tokens, the 48-hour window."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.server import ZALO_KEY, make_app
from coopbot.broadcast.model import Outcome
from coopbot.config import REPO_KNOWLEDGE, load_settings
from coopbot.messages import Button, IncomingMessage, Reply, UserKey
from coopbot.storage.inbox import Claimed
from tests.fakes.raw_http import raw_post
from tests.fakes.zalo_api import FakeZaloAPI

APP_ID, APP_SECRET, OA_SECRET = "1234567890", "app-secret-xyz", "oa-secret-abc"
USER = "8372615048291736452"  # 19 digits: kept as a string end to end


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloAPI]:
    api = FakeZaloAPI(APP_ID, APP_SECRET, OA_SECRET)
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def serve(fake: FakeZaloAPI, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """``await serve()`` starts coopbot with Zalo; can be called again (a restart)."""
    runners: list[web.AppRunner] = []

    async def start() -> tuple[str, Any]:
        settings = load_settings(
            knowledge_dir=REPO_KNOWLEDGE,
            database_url=f"sqlite+aiosqlite:///{tmp_path}/z.db",
            zalo_app_id=APP_ID,
            zalo_app_secret=APP_SECRET,
            zalo_oa_secret_key=OA_SECRET,
            zalo_access_token="AT-1",
            zalo_refresh_token="RT-1",
            zalo_api_base_url=fake.url,
            zalo_oauth_base_url=fake.url,
        )
        runner = web.AppRunner(await make_app(settings), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}/webhooks/zalo", runner.app[ZALO_KEY]

    yield start
    for runner in runners:
        await runner.cleanup()


async def post(url: str, raw: bytes, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, data=raw, headers=headers) as r:
        return r.status


async def until(check: Callable[[], bool], within: float = 10) -> None:
    for _ in range(int(within * 50)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError


async def test_a_faq_conversation_with_buttons(
    serve: Callable[..., Any], fake: FakeZaloAPI
) -> None:
    url, channel = await serve()
    follow = fake.signed({"event_name": "follow", "oa_id": "4368496045530508848",
                          "follower": {"id": USER}, "user_id_by_app": "app-" + USER})  # fmt: skip
    assert await post(url, *follow) == 200  # a follow names the user as follower, no sender
    assert await post(url, *follow) == 200  # a retried follow is welcomed once
    await until(lambda: len(fake.to(USER)) >= 3)
    await channel.pipeline.join()
    assert len(fake.to(USER)) == 3  # welcome, privacy note, offer to subscribe
    welcome, _, offer = fake.to(USER)
    assert "Xin chào" in welcome["text"] and welcome["recipient"] == {"user_id": USER}
    assert "Gõ số để chọn:\n1. " in welcome["text"]  # v3 has no buttons: a numbered list
    menu = welcome["text"].split("Gõ số để chọn:\n")[1].splitlines()
    assert [line.split(".")[0] for line in menu] == [str(i) for i in range(1, len(menu) + 1)]
    offered = f"{len(menu) + 1}. "
    assert offered in offer["text"]  # the offer continues the welcome's numbering
    await post(url, *fake.signed(fake.text_event(USER, str(len(menu) + 1), f"{USER}-0")))
    await until(lambda: len(fake.to(USER)) >= 4)
    assert "tỉnh" in fake.to(USER)[-1]["text"]  # typing the offer's number started it
    await post(url, *fake.signed(fake.text_event(USER, "lap htx can bn nguoi", f"{USER}-1")))
    await until(lambda: any("05 thành viên" in m["text"] for m in fake.to(USER)))
    answer = next(m for m in fake.to(USER) if "05 thành viên" in m["text"])
    assert answer["recipient"] == {"user_id": USER} and "👎" in answer["text"]


async def test_a_questionnaire_by_typed_numbers(
    serve: Callable[..., Any], fake: FakeZaloAPI
) -> None:
    url, channel = await serve()
    n = 0

    async def say(text: str) -> dict[str, Any]:
        nonlocal n
        n += 1
        before = len(fake.to(USER))
        await post(url, *fake.signed(fake.text_event(USER, text, f"{USER}-q{n}")))
        await until(lambda: len(fake.to(USER)) > before)
        await channel.pipeline.join()
        return fake.to(USER)[-1]

    def number(message: dict[str, Any], label: str) -> str:
        line = next(x for x in message["text"].splitlines() if x.endswith(f". {label}"))
        return line.split(".")[0]

    first = await say("/vayquy")
    assert "Câu 1/4" in first["text"] and "4. Thành viên tổ hợp tác" in first["text"]
    second = await say("4")  # typing the number picks the option
    assert "Câu 2/4" in second["text"]
    third = await say(number(second, "Có"))
    assert "Câu 3/4" in third["text"]
    fourth = await say("30%")
    await say(number(fourth, "Không"))
    assert any("✅" in m["text"] for m in fake.to(USER)[-2:])


async def test_forged_stale_replayed_and_malformed(
    serve: Callable[..., Any], fake: FakeZaloAPI
) -> None:
    url, channel = await serve()
    event = fake.text_event(USER, "htx có con dấu không", f"{USER}-9")
    raw, headers = fake.signed(event, secret="wrong")
    assert await post(url, raw, headers) == 401
    assert await post(url, raw, {}) == 401
    raw, headers = fake.signed({**event, "timestamp": "1000"})
    assert await post(url, raw, headers) == 401
    assert await post(url, b"{bad", {"X-ZEvent-Signature": "mac=00"}) == 400
    raw, headers = fake.signed(event)
    assert await post(url, raw, headers) == 200
    assert await post(url, raw, headers) == 200  # Zalo retries: same msg_id
    await channel.pipeline.join()
    assert len(fake.to(USER)) == 1


async def test_non_text_echoes_unknown_and_unfollow(
    serve: Callable[..., Any], fake: FakeZaloAPI
) -> None:
    url, channel = await serve()
    await post(
        url,
        *fake.signed(
            {
                "event_name": "user_send_sticker",
                "sender": {"id": USER},
                "message": {"msg_id": f"{USER}-s", "attachments": []},
            }
        ),
    )
    await until(lambda: len(fake.to(USER)) == 1)
    assert "tin nhắn chữ" in fake.to(USER)[0]["text"]
    for name in ("oa_send_text", "user_seen_message", "something_new"):
        await post(url, *fake.signed({"event_name": name, "sender": {"id": USER}}))
    unfollow = {"event_name": "unfollow", "oa_id": "1", "follower": {"id": USER}}
    assert await post(url, *fake.signed(unfollow)) == 200  # named as follower, as Zalo does
    await channel.pipeline.join()
    assert len(fake.to(USER)) == 1
    assert await channel.pipeline.contacts.is_active("zalo", USER) is False


async def test_token_expiry_mid_conversation_and_restart(
    serve: Callable[..., Any], fake: FakeZaloAPI
) -> None:
    url, _ = await serve()
    await post(url, *fake.signed(fake.text_event(USER, "xin chào", f"{USER}-a")))
    await until(lambda: len(fake.to(USER)) == 1)
    fake.expired = True
    await post(url, *fake.signed(fake.text_event(USER, "cảm ơn", f"{USER}-b")))
    await until(lambda: len(fake.to(USER)) == 2)
    assert fake.refreshes == 1 and "RT-1" in fake.spent_refresh
    # a restart reads the rotated pair from the database, not the environment's spent one
    url2, _ = await serve()
    fake.expired = True
    await post(url2, *fake.signed(fake.text_event(USER, "bye", f"{USER}-c")))
    await until(lambda: len(fake.to(USER)) == 3)
    assert fake.refreshes == 2


async def test_concurrent_refreshes_spend_the_refresh_token_once(
    serve: Callable[..., Any], fake: FakeZaloAPI
) -> None:
    _, first = await serve()
    _, second = await serve()  # two workers on one database
    fake.expired = True
    sends = [w.send(USER + str(i), Reply(f"tin {i}")) for i, w in enumerate([first, second] * 5)]
    results = await asyncio.gather(*sends)
    assert all(r.outcome is Outcome.SENT for r in results) and fake.refreshes == 1


async def test_replies_are_plain_text_to_the_user_id_within_limits(
    serve: Callable[..., Any], fake: FakeZaloAPI
) -> None:
    _, channel = await serve()
    long = "\n\n".join("đoạn " + "chữ " * 100 for _ in range(10))
    buttons = tuple(Button(f"Nút {i}", f"p:{i}") for i in range(3))
    assert (await channel.send(USER, Reply(long, buttons))).outcome is Outcome.SENT
    sent = fake.to(USER)
    assert len(sent) >= 3 and all(len(m["text"]) <= 2000 for m in sent)
    assert all(m["recipient"] == {"user_id": USER} for m in sent)  # v3: never a message_id
    assert "3. Nút 2" in sent[-1]["text"] and "Nút" not in sent[0]["text"]
    many = tuple(Button(f"Chọn {i}", f"p:{i}") for i in range(7))
    await channel.send(USER, Reply("Chọn một:", many))
    assert "7. Chọn 6" in fake.to(USER)[-1]["text"]
    turn = {"turn": "one-update"}  # replies to one update share a numbering, retries keep it
    await channel.send(USER, Reply("A", (Button("x", "p:x"),)), turn)
    await channel.send(USER, Reply("B", (Button("y", "p:y"),)), turn)
    await channel.send(USER, Reply("B", (Button("y", "p:y"),)), turn)
    assert [m["text"].splitlines()[-1] for m in fake.to(USER)[-3:]] == ["1. x", "2. y", "2. y"]
    fake.unfollowed.add(USER)
    assert (await channel.send(USER, Reply("x"))).outcome is Outcome.BLOCKED  # -213


async def test_the_fake_refuses_what_v3_does_not_take(fake: FakeZaloAPI) -> None:
    """A v2-style reply (to a message_id, with a button template) is refused like Zalo does."""
    headers = {"access_token": fake.access_token}
    bodies = [
        {"recipient": {"message_id": "m1"}, "message": {"text": "x"}},
        {"recipient": {"user_id": USER}, "message": {"text": "x", "attachment": {}}},
        {"recipient": {"user_id": USER}, "message": {"text": "x" * 2001}},
    ]
    async with aiohttp.ClientSession() as http:
        for body in bodies:
            async with http.post(f"{fake.url}/v3.0/oa/message/cs", json=body,
                                 headers=headers) as resp:  # fmt: skip
                assert (await resp.json())["error"] == -201, body
    assert fake.sent == []


async def test_another_worker_knows_the_listed_options(
    serve: Callable[..., Any], fake: FakeZaloAPI
) -> None:
    first_url, first = await serve()
    second_url, second = await serve()  # a second worker on the same database
    await post(first_url, *fake.signed(fake.text_event(USER, "/vayquy", f"{USER}-a")))
    await until(lambda: bool(fake.to(USER)))
    assert "4. Thành viên tổ hợp tác" in fake.to(USER)[-1]["text"]  # a numbered list
    await first.pipeline.join()
    typed = IncomingMessage(UserKey("zalo", USER), text="4")
    picked = await second.prepare(Claimed(0, USER, typed, {}, None, 0, 0))
    assert picked is not None and picked.kind == "payload" and picked.payload  # knows the list
    await post(second_url, *fake.signed(fake.text_event(USER, "4", f"{USER}-b")))
    await until(lambda: len(fake.to(USER)) >= 2)
    await second.pipeline.join()
    reply = fake.to(USER)[-1]
    assert "Câu 2/4" in reply["text"]  # "4" picked the option the first worker listed
    assert reply["recipient"] == {"user_id": USER}


async def test_malformed_signed_events_get_400(
    serve: Callable[..., Any], fake: FakeZaloAPI
) -> None:
    url, channel = await serve()
    for event in (
        {"event_name": "user_send_text", "sender": [USER], "message": {"text": "x"}},
        {"event_name": "user_send_text", "sender": {"id": {"a": 1}}, "message": {"text": "x"}},
        {"event_name": "user_send_text", "sender": {"id": USER}, "message": "xin chào"},
        {"event_name": "user_send_text", "sender": {"id": USER}, "message": {"text": ["x"]}},
        {"event_name": ["follow"], "sender": {"id": USER}},
    ):
        assert await post(url, *fake.signed(event)) == 400, event
    raw, _ = fake.signed(fake.text_event(USER, "xin chào", f"{USER}-z"))

    base, path = url.rsplit("/webhooks", 1)
    bad = {"X-ZEvent-Signature": b"mac=\xff\xfe\x80"}  # not UTF-8: refused, not a 500
    assert await raw_post(base, "/webhooks" + path, bad, raw) == 401
    await channel.pipeline.join()
    assert fake.to(USER) == []
