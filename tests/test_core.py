"""Core.handle over every kind of input; the inquiry log; failures never break a reply."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopbot.config import Settings
from coopbot.core import Core, Stores, build_core
from coopbot.dialog import Turn
from coopbot.messages import IncomingMessage, UserKey
from coopbot.payloads import OpenEntry, unpack
from coopbot.storage.dialogs import MemoryDialogStore, Stored
from coopbot.storage.inquiries import InquiryLog, InquiryRecord, MemoryInquiryLog

USER = UserKey("web", "1234567890123456789")


def _text(text: str) -> IncomingMessage:
    return IncomingMessage(USER, text=text)


async def test_confident_answer_ends_with_its_source(core: Core) -> None:
    replies = await core.handle(_text("thanh lap htx can bao nhieu thanh vien"))
    assert len(replies) == 1
    assert "5 thành viên" in replies[0].text.replace("05", "5")
    assert replies[0].text.splitlines()[-1].startswith("Nguồn: ")
    assert "17/2023/QH15" in replies[0].text


async def test_start_and_help_and_unknown_command(core: Core) -> None:
    start = await core.handle(_text("/start"))
    assert "Xin chào" in start[0].text and "mã ẩn danh" in start[1].text
    deep = await core.handle(_text("/start zalo-campaign"))
    assert deep[0].text == start[0].text
    assert "ví dụ" in (await core.handle(_text("/help@coopbot")))[0].text
    assert "/help" in (await core.handle(_text("/khonglenh")))[0].text


async def test_small_talk(core: Core) -> None:
    assert (await core.handle(_text("Chào bạn!")))[0].text.startswith("Chào bạn")
    assert "Không có gì" in (await core.handle(_text("cảm ơn nhiều nhé")))[0].text
    assert "Chào bạn, chúc" in (await core.handle(_text("bye")))[0].text


async def test_greeting_with_a_question_is_answered(core: Core) -> None:
    replies = await core.handle(_text("chào bạn, cho hỏi lập htx cần mấy người"))
    assert "Nguồn:" in replies[0].text


async def test_empty_huge_and_non_text(core: Core) -> None:
    assert "chưa gõ" in (await core.handle(_text("   ")))[0].text
    assert "dài quá" in (await core.handle(_text("a" * 100_000)))[0].text
    sticker = IncomingMessage(USER, kind="sticker")
    assert "chữ" in (await core.handle(sticker))[0].text


async def test_off_topic_is_declined_politely(core: Core) -> None:
    replies = await core.handle(_text("Kết quả xổ số miền Nam hôm nay"))
    assert "ngoài những gì mình biết" in replies[0].text
    assert not replies[0].buttons


async def test_button_payloads(core: Core) -> None:
    entry = core.kb.entries[0]
    replies = await core.handle(IncomingMessage(USER, payload=f"faq:{entry.id}", kind="payload"))
    assert replies[0].text.startswith(f"📌 {entry.title}\n{entry.answer.strip()[:40]}")
    stale = await core.handle(IncomingMessage(USER, payload="faq:khong-con", kind="payload"))
    assert "cũ" in stale[0].text
    helped = await core.handle(IncomingMessage(USER, payload="cmd:help", kind="payload"))
    assert "ví dụ" in helped[0].text


async def test_unsure_reply_has_buttons_that_answer(core: Core) -> None:
    result = core.router.answer("quỹ")
    if result.kind != "not_sure":  # the wording may become confident as content grows
        result = core.router.answer("vốn hợp tác xã")
    assert result.kind in {"not_sure", "faq"}
    for reply in result.replies:
        assert len(reply.buttons) <= 3
        for button in reply.buttons:
            assert len(button.payload.encode()) <= 64
            pressed = await core.handle(
                IncomingMessage(USER, payload=button.payload, kind="payload")
            )
            kind = unpack(button.payload)
            assert ("Nguồn:" if isinstance(kind, OpenEntry) else "Điều ") in pressed[0].text


async def test_every_inquiry_is_logged_pseudonymously(core: Core) -> None:
    await core.handle(_text("hồ sơ đăng ký htx gồm gì"))
    await core.handle(_text("trời hôm nay đẹp không"))
    log = core.inquiries
    assert isinstance(log, MemoryInquiryLog)
    first, second = log.items
    assert first.kind == "faq" and first.confident and first.entry_id
    assert first.text == "hồ sơ đăng ký htx gồm gì" and first.normalized
    assert second.kind == "out_of_scope" and not second.confident
    assert USER.user_id not in first.user_key and first.user_key == second.user_key


class BrokenLog(InquiryLog):
    async def record(self, item: InquiryRecord) -> None:
        raise RuntimeError("database is on fire")

    async def recent(self, limit: int = 100) -> list[InquiryRecord]:
        return []

    async def set_feedback(self, ref: str, user_key: str, vote: int) -> bool:
        raise RuntimeError("database is on fire")

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        raise RuntimeError("database is on fire")


async def test_a_broken_log_never_breaks_the_reply(settings_default: Settings) -> None:
    core = build_core(settings_default, Stores(inquiries=BrokenLog()))
    replies = await core.handle(_text("lap htx can may nguoi"))
    assert "Nguồn:" in replies[0].text
    vote = IncomingMessage(USER, payload=replies[0].buttons[-1].payload, kind="payload")
    answer = (await core.handle(vote))[0].text
    assert "Cảm ơn" not in answer and "trục trặc" in answer  # a lost vote is never thanked


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text_gets_a_reply(shared_core: Core, text: str) -> None:
    replies = shared_core.router.route(Turn.of(_text(text), "k", "r", 0.0)).replies
    assert replies and all(r.text for r in replies)


class DownDialogs(MemoryDialogStore):
    async def get(self, user_key: str) -> Stored | None:
        raise ConnectionError("database unreachable")


async def test_questions_are_answered_while_dialog_storage_is_down(
    settings_default: Settings,
) -> None:
    core = build_core(settings_default, Stores(dialogs=DownDialogs()))
    replies = await core.handle(_text("hồ sơ đăng ký htx gồm những gì"))
    assert "Nguồn:" in replies[0].text
    for misleading in ("/huy", "/menu", "5"):  # need the stored state: say busy, nothing else
        assert "bận" in (await core.handle(_text(misleading)))[0].text
    stale = IncomingMessage(USER, payload="flow:cancel", kind="payload")
    assert "bận" in (await core.handle(stale))[0].text


async def test_feedback_buttons_vote_on_the_answer(core: Core) -> None:
    replies = await core.handle(_text("vốn góp tối đa của một thành viên"))
    labels = [b.label for b in replies[0].buttons]
    assert labels[-2:] == ["👍 Hữu ích", "👎 Chưa đúng"]
    down = replies[0].buttons[-1].payload
    assert len(down.encode()) <= 64
    thanks = await core.handle(IncomingMessage(USER, payload=down, kind="payload"))
    assert "cán bộ" in thanks[0].text
    log = core.inquiries
    assert isinstance(log, MemoryInquiryLog)
    assert [i.feedback for i in log.items] == [-1]  # the vote is not an inquiry of its own
    other = IncomingMessage(UserKey("web", "someone-else"), payload=down, kind="payload")
    await core.handle(other)  # nobody can vote on another user's answer
    assert [i.feedback for i in log.items] == [-1]


async def test_cores_may_share_a_router_built_for_their_knowledge(
    shared_core: Core, settings_default: Settings
) -> None:
    router = shared_core.live.router
    other = build_core(settings_default, Stores(inquiries=MemoryInquiryLog()), router=router)
    assert other.live.router is router and other.kb is shared_core.kb
    await other.live.apply_phrasings({"tl-so-thanh-vien-toi-thieu-htx": ["một câu mới thêm"]})
    assert other.live.router is not router and shared_core.live.router is router
    longer = settings_default.model_copy(
        update={"max_message_chars": settings_default.max_message_chars + 1}
    )
    with pytest.raises(ValueError, match="another knowledge base or limits"):
        build_core(longer, router=router)
