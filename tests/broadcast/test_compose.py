"""``/thongbao`` with nobody to send to: no send buttons, and an old button is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from coopbot.broadcast import Broadcasts
from coopbot.broadcast.compose import Composer
from coopbot.knowledge import KnowledgeBase
from coopbot.payloads import Compose, unpack
from coopbot.storage.db import make_engine
from coopbot.storage.migrate import upgrade_async
from coopbot.storage.subscribers import SqlSubscriberStore

from .helpers import seed


@pytest.fixture
async def composer(database_url: str, kb: KnowledgeBase) -> AsyncIterator[Composer]:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    yield Composer(kb, Broadcasts(engine))
    await engine.dispose()


def _actions(reply_buttons: tuple) -> list[str]:  # type: ignore[type-arg]
    presses = [unpack(b.payload) for b in reply_buttons]
    return [p.action for p in presses if isinstance(p, Compose)]


async def test_no_recipients_offers_only_filters_and_cancel(
    composer: Composer, database_url: str, kb: KnowledgeBase
) -> None:
    (preview,) = await composer.command("Họp thành viên ngày 15/12.", "officer")
    assert _actions(preview.buttons) == ["ch", "p", "t", "cancel"]
    assert kb.messages("compose_no_recipients") in preview.text
    draft = unpack(preview.buttons[0].payload)
    assert isinstance(draft, Compose)
    for old in ("send", "later"):  # a button from an older preview, pressed anyway
        refused, again = await composer.press(Compose(draft.draft, old))
        assert refused.text == kb.messages("compose_refused_empty")
        assert "send" not in _actions(again.buttons)
        assert (await composer.service.status(draft.draft)).state == "draft"  # nothing queued
    engine = make_engine(database_url)
    await seed(SqlSubscriberStore(engine), [1, 2])
    await engine.dispose()
    (refreshed,) = await composer.press(Compose(draft.draft, "ch"))  # filters changed: 2 match
    assert _actions(refreshed.buttons) == ["ch", "p", "t", "send", "later", "cancel"]
    (queued,) = await composer.press(Compose(draft.draft, "send"))
    assert "tới 2 người" in queued.text
