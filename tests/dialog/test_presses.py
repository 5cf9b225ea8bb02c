"""Typed payloads: a button answers only the question it was shown with; one dispatcher."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coopbot.config import Settings
from coopbot.core import Core, Stores, build_core
from coopbot.payloads import KINDS, Answer, FlowControl, OpenEntry, Payload, unpack
from coopbot.storage.inquiries import MemoryInquiryLog

from .helpers import Chat


async def test_a_double_tap_answers_only_its_own_question(core: Core) -> None:
    chat = Chat(core)
    await chat.say("/vayquy")
    first = chat.button("Hợp tác xã")
    await chat.press(first)
    assert "Câu 2/4" in chat.text
    await chat.press(first)  # the second tap of a double tap: the same button again
    assert "trước" in chat.text and "Câu 2/4" in chat.text
    stored = await chat.stored()
    assert stored is not None and len(stored["history"]) == 1


async def test_buttons_of_an_older_run_are_stale(core: Core) -> None:
    chat = Chat(core, "run-user")
    await chat.say("/vayquy")
    old_yes = chat.button("Hợp tác xã")
    await chat.say("/huy")
    await chat.press(old_yes)  # the flow has ended
    assert "kết thúc" in chat.text
    await chat.say("/vayquy")  # a new run: the first question again, with new buttons
    await chat.press(old_yes)
    assert "trước" in chat.text and "Câu 1/4" in chat.text


async def test_stop_button_of_an_old_run_does_not_stop_the_new_one(core: Core) -> None:
    chat = Chat(core, "stop-user")
    clock = [1000.0]
    core = replace(core, clock=lambda: clock[0])
    chat.core = core
    await chat.say("/vayquy")
    old_stop = chat.button("✖ Dừng")
    await chat.say("/huy")
    clock[0] += 5
    await chat.say("/vayquy")
    await chat.press(old_stop)
    assert await chat.stored() is not None  # still in the new run


def test_every_kind_round_trips_within_64_bytes() -> None:
    samples: list[Payload] = [
        OpenEntry("x" * 48),
        Answer("fffff", 120, "trung_binh_kha_tot_xyz_ab"),
        FlowControl("progress", "fffff"),
    ]
    for kind in KINDS:
        assert kind.prefix and len(kind.prefix) < 12
    for payload in samples:
        packed = payload.pack()
        assert len(packed.encode()) <= 64 and unpack(packed) == payload
    for junk in ("", "zzz", "a:1", "bc:x:send", "faq", "a:r:99999999999999:v", "x" * 100):
        assert unpack(junk) is None or isinstance(unpack(junk), Payload)
    assert unpack("a:r:99999999999999:v") is None  # no giant integers


async def test_erasure_confirmed_after_the_flow_expired_still_erases(
    settings_default: Settings,
) -> None:
    log = MemoryInquiryLog()
    now = [1_000_000.0]
    core = replace(build_core(settings_default, Stores(inquiries=log)), clock=lambda: now[0])
    chat = Chat(core, "erase-user")
    await chat.say("/kiemtra")
    await chat.say("6")
    await chat.say("/xoadulieu")
    now[0] += settings_default.flow_ttl_hours * 3600 + 1  # the questionnaire expires meanwhile
    await chat.press(chat.button("🗑 Xoá dữ liệu"))
    assert "Đã xoá" in chat.text
    assert await chat.stored() is None
    assert [i for i in log.items if i.user_key == core.key_of(chat.user)] == []


@pytest.mark.parametrize("days", [30, 90])
async def test_the_privacy_notice_keeps_the_retention_days_after_a_reload(
    settings_default: Settings, days: int
) -> None:
    core = build_core(settings_default.model_copy(update={"retention_days": days}))
    await core.apply_phrasings({"tl-so-thanh-vien-toi-thieu-htx": ["nhà tôi bốn người"]})
    notice = (await Chat(core).say("/start"))[1].text
    assert f"{days} ngày" in notice
