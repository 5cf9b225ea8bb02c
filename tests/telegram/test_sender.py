"""Sending within Telegram's limits: splitting, escaping, 429 storms, callback data."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.chunks import split_text
from bot.telegram.convert import CallbackData, keyboard
from bot.telegram.sender import Pacer, Sent, TelegramSender
from coopbot.messages import Button, Reply
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


def test_callback_data_fits_64_bytes_whatever_the_payload() -> None:
    packer = CallbackData()
    long = "faq:" + "thành-lập-hợp-tác-xã-" * 5
    markup = keyboard((Button("Dài", long), Button("Ngắn", "a:yes")), packer)
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert all(len(str(d).encode()) <= 64 for d in data)
    assert packer.unpack(str(data[0])) == long and packer.unpack("a:yes") == "a:yes"


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


async def test_pacer_keeps_a_reserve_for_interactive_replies() -> None:
    now = [0.0]
    pacer = Pacer(per_second=10, reserve=5, clock=lambda: now[0])
    for i in range(5):
        await pacer.acquire(i, bulk=True)
    waiter = asyncio.create_task(pacer.acquire(99, bulk=True))
    await asyncio.sleep(0.05)
    assert not waiter.done()  # bulk stops at the reserve
    await asyncio.wait_for(pacer.acquire(100), 1)  # an interactive reply still goes
    now[0] += 1.0
    await asyncio.wait_for(waiter, 6)
