"""Sending within Telegram's limits: splitting, escaping, 429 storms, callback data."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.chunks import split_text
from bot.telegram.convert import keyboard
from bot.telegram.pacer import Pacer
from bot.telegram.sender import Sent, TelegramSender
from coopbot.messages import Button, Reply
from coopbot.payloads import Answer, OpenEntry, PayloadError
from coopbot.storage.channel_state import MemoryContactStore
from tests.fakes.telegram_api import ApiError, FakeBotAPI, parse_html

from .conftest import TOKEN


@pytest.fixture
async def sender(fake_api: FakeBotAPI) -> AsyncIterator[TelegramSender]:
    bot = Bot(TOKEN, base_url=fake_api.base_url, request=HTTPXRequest(connection_pool_size=32))
    await bot.initialize()
    yield TelegramSender(bot, MemoryContactStore())
    await bot.shutdown()


def test_fake_parses_html_like_telegram() -> None:
    assert parse_html("<b>Đậm</b> &amp; thường") == "Đậm x thường"
    for bad in ("a < b", "R&D", "<b>mở", "<script>x</script>"):
        with pytest.raises(ApiError, match="can't parse entities"):
            parse_html(bad)


async def test_user_html_is_escaped_and_long_replies_split(
    sender: TelegramSender, fake_api: FakeBotAPI
) -> None:
    paragraph = "Đoạn <b> & R&D " + "chữ " * 200
    long = "\n\n".join(f"{i}. {paragraph}" for i in range(12))
    result = await sender.send(42, Reply(long, (Button("Có", "a:yes"),)))
    assert result is Sent.SENT
    sent = fake_api.messages_to(42)
    assert len(sent) == 3 and all(len(parse_html(m.text)) <= 4096 for m in sent)
    assert all(parse_html(m.text).rstrip().endswith("chữ") for m in sent)  # cut at paragraphs
    assert sent[-1].buttons() and not sent[0].buttons()
    assert "&lt;b&gt; &amp; R&amp;D" in sent[0].text


def test_split_without_paragraphs_still_fits() -> None:
    chunks = split_text("x" * 9000, 4000)
    assert [len(c) for c in chunks] == [4000, 4000, 1000]


def test_callback_data_is_the_typed_payload_and_never_over_64_bytes() -> None:
    short = Answer("3f2a", 4, "yes").pack()
    markup = keyboard((Button("Dài", "faq:" + "thành-lập-hợp-tác-xã-" * 5), Button("Ngắn", short)))
    assert markup is not None
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert data == [short]  # a payload over the limit is left out (and logged), never cut
    with pytest.raises(PayloadError):
        OpenEntry("x" * 70).pack()


async def test_429_storm_loses_nothing(fake_api: FakeBotAPI) -> None:
    fake_api.per_second = 5
    bot = Bot(TOKEN, base_url=fake_api.base_url, request=HTTPXRequest(connection_pool_size=32))
    await bot.initialize()
    sender = TelegramSender(bot, MemoryContactStore(), Pacer(per_second=50))
    try:
        started = time.monotonic()
        results = await asyncio.gather(
            *(sender.send(900 + i, Reply(f"tin {i}")) for i in range(20))
        )
    finally:
        await bot.shutdown()
    assert results == [Sent.SENT] * 20 and fake_api.rate_limited > 0
    assert sorted(int(m.text.split()[1]) for m in fake_api.sent) == list(range(20))
    assert time.monotonic() - started >= 2  # it waited retry_after instead of hammering


async def test_blocked_chat_is_reported(sender: TelegramSender, fake_api: FakeBotAPI) -> None:
    fake_api.blocked.add(77)
    assert await sender.send(77, Reply("chào")) is Sent.BLOCKED
    assert await sender.contacts.is_active("telegram", "77") is False


async def test_pacer_lets_an_interactive_reply_go_before_waiting_bulk_sends() -> None:
    now = [0.0]
    pacer = Pacer(per_second=3, clock=lambda: now[0], jitter=0.0)
    for i in range(3):
        await pacer.acquire(i)
    bulk = asyncio.create_task(pacer.acquire(50, bulk=True))
    reply = asyncio.create_task(pacer.acquire(60))
    await asyncio.sleep(0.05)
    assert not bulk.done() and not reply.done()  # the window is full for everyone
    now[0] += 1.0  # one second on: exactly 3 slots free again
    await asyncio.wait_for(reply, 2)
    await asyncio.wait_for(bulk, 2)
    assert pacer.last_sent[60] <= pacer.last_sent[50]


async def test_pacer_never_exceeds_the_sliding_window() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:  # virtual time: the pacer's waits move the clock
        now[0] += seconds
        await asyncio.sleep(0)

    pacer = Pacer(per_second=5, clock=lambda: now[0], jitter=0.0, sleep=sleep)
    times: list[float] = []
    for i in range(23):
        await pacer.acquire(i)
        times.append(now[0])
    for i in range(len(times) - 5):
        assert times[i + 5] - times[i] >= 1.0  # any 6 consecutive sends span a full second
    assert times[-1] <= 4.0 + 1e-9  # and it keeps up with the limit: 23 sends in 4 s


async def test_bulk_sends_are_spread_over_the_window_not_sent_in_bursts() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    pacer = Pacer(per_second=5, clock=lambda: now[0], jitter=0.0, sleep=sleep)
    times = []
    for i in range(4):  # 4 of the 5 slots a second
        await pacer.acquire(i, bulk=True)
        times.append(now[0])
    assert all(b - a >= 0.2 - 1e-9 for a, b in itertools.pairwise(times))
    await pacer.acquire(99)  # an interactive reply is not held to that spacing
    assert now[0] == times[-1]


async def test_a_429_pauses_every_send() -> None:
    now = [0.0]
    pacer = Pacer(per_second=30, clock=lambda: now[0])
    pacer.pause(2.0)
    task = asyncio.create_task(pacer.acquire(1))
    await asyncio.sleep(0.05)
    assert not task.done()
    now[0] += 2.0
    await asyncio.wait_for(task, 2)


async def test_a_slot_counts_from_when_its_response_came_back() -> None:
    now = [0.0]
    pacer = Pacer(per_second=1, clock=lambda: now[0], jitter=0.0)
    async with pacer.slot(1):
        now[0] += 0.8  # the request was slow to go out and to come back
    task = asyncio.create_task(pacer.acquire(2))
    now[0] = 1.5  # a second after the send was allowed, but not after its response
    await asyncio.sleep(0.05)
    assert not task.done()
    now[0] = 1.8
    await asyncio.wait_for(task, 2)


def test_a_pacer_takes_its_share_of_the_limit() -> None:
    pacer = Pacer(per_second=30)
    pacer.share(2)
    assert pacer.limit == 15
    pacer.share(1)
    assert pacer.limit == 30
