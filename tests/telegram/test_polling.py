"""Long-polling mode (no webhook URL): getUpdates with offsets, replies, no duplicates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.fakes.telegram_api import FakeBotAPI


async def test_polling_answers_and_confirms_offsets(
    start_bot: Callable[..., Any], fake_api: FakeBotAPI
) -> None:
    running = await start_bot(webhook=False)
    assert fake_api.webhook_url is None
    ids = [
        await fake_api.push(fake_api.text_update(701, "hồ sơ đăng ký htx gồm gì")),
        await fake_api.push(fake_api.text_update(702, "/kiemtra")),
    ]
    await fake_api.wait_for(1, chat_id=701, within=20)
    await fake_api.wait_for(1, chat_id=702, within=20)
    assert "Điều lệ" in fake_api.messages_to(701)[0].text
    assert "Câu 1/6" in fake_api.messages_to(702)[0].text
    last = max(ids)

    def confirmed() -> bool:
        offsets = [int(p.get("offset", 0) or 0) for m, p in fake_api.calls if m == "getUpdates"]
        return max(offsets, default=0) > last

    for _ in range(2000):  # the next poll confirms both: they are never delivered again
        if confirmed():
            break
        await asyncio.sleep(0.01)
    assert confirmed()
    await running.pipeline.join()
    assert len(fake_api.messages_to(701)) == 1
