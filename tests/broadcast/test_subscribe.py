"""The subscription dialogue through the core: province, topics, change, stop."""

from __future__ import annotations

from coopbot.core import Core, pseudonym
from coopbot.messages import IncomingMessage, UserKey
from coopbot.storage.subscribers import MemorySubscriberStore

USER = UserKey("zalo", "8372615048291736452")


async def test_subscribe_pick_province_and_topics_then_stop(core: Core) -> None:
    store = core.subscribers
    assert isinstance(store, MemorySubscriberStore)
    start = await core.handle(IncomingMessage(USER, text="/start"))
    assert start[-1].buttons[0].payload == "sub:start"
    (provinces,) = await core.handle(IncomingMessage(USER, payload="sub:start"))
    assert len(provinces.buttons) == 34 and provinces.buttons[0].label == "Hà Nội"
    (topics,) = await core.handle(IncomingMessage(USER, payload="sub:p:can-tho"))
    assert "Cần Thơ" in topics.text
    (toggled,) = await core.handle(IncomingMessage(USER, payload="sub:t:tap-huan"))
    assert "✅ Tập huấn" in [b.label for b in toggled.buttons]
    (done,) = await core.handle(IncomingMessage(USER, payload="sub:done"))
    assert "Cần Thơ" in done.text and "Tập huấn" in done.text
    row = store.rows[("zalo", USER.user_id)]
    assert row.subscribed and row.topics == ("tap-huan",) and row.province == "can-tho"
    assert row.user_key == pseudonym(USER, core.pseudonym_key)
    again = await core.handle(IncomingMessage(USER, text="/start"))
    assert "đang nhận thông báo" in again[-1].text
    (stopped,) = await core.handle(IncomingMessage(USER, text="/huydangky"))
    assert "dừng" in stopped.text and not store.rows[("zalo", USER.user_id)].subscribed


async def test_web_users_are_told_where_to_subscribe(core: Core) -> None:
    (reply,) = await core.handle(IncomingMessage(UserKey("web", "u1"), text="/dangky"))
    assert "Telegram và Zalo" in reply.text
    assert len(await core.handle(IncomingMessage(UserKey("web", "u1"), text="/start"))) == 2
