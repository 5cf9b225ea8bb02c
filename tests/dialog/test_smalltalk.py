"""Small talk (issue 15 item 5): farmers' short messages get a fitting reply, and no real
question is ever taken for small talk."""

from __future__ import annotations

import json

import pytest

from coopbot.core import Core
from coopbot.dialog.smalltalk import ERASE_REQUEST, FILLERS, SmallTalk
from coopbot.knowledge import KnowledgeBase
from coopbot.payloads import Erase, unpack
from tests.conftest import EVAL
from tests.dialog.helpers import Chat

# Off-topic rows of the eval sets that are small talk on purpose (and must stay so)
SMALL_TALK_ROWS = {"hello": "greeting", "ok": "ack", "tks": "thanks"}

EXAMPLES = {
    # the examples
    "cảm ơn bạn nhiều nhé": "thanks",
    "cam on ban nhieu nha": "thanks",
    "dc roi": "ack",
    "ad oi": "call",
    "ko hieu": "confused",
    "ok": "ack",
    "oke": "ack",
    "vâng": "ack",
    "hiểu rồi": "ack",
    "chưa hiểu": "confused",
    "alo": "call",
    "có ai không": "call",
    "xoa du lieu cua toi": ERASE_REQUEST,
    "xóa dữ liệu của tôi": ERASE_REQUEST,
    "tôi muốn xoá thông tin": ERASE_REQUEST,
    # siblings: greetings with a name, goodbyes, praise, complaints, teencode, emoji
    "chào ad": "greeting",
    "em chào anh chị ạ": "greeting",
    "Chào bạn!": "greeting",
    "tạm biệt nhé": "goodbye",
    "bye ad": "goodbye",
    "hay quá": "praise",
    "bot giỏi quá": "praise",
    "trả lời sai rồi": "complaint",
    "ko đúng": "complaint",
    "không phải ý em": "complaint",
    "k hiểu gì cả": "confused",
    "hong hieu": "confused",
    "dạ vâng ạ": "ack",
    "có ạ": "ack",
    "okkk": "ack",
    "alooo ad ơi": "call",
    "bạn ơi": "call",
    "giúp em với": "help",
    "bạn là ai": "help",
    "👍": "ack",
    "🙏🙏": "thanks",
    "👍🏻": "ack",
    # mixed: the intent listed first in the data wins
    "ok cảm ơn ad": "thanks",
    "chào bạn, mình chưa hiểu": "confused",
    "sai rồi, cảm ơn": "complaint",
    "cảm ơn, tạm biệt": "goodbye",
}

NOT_SMALL_TALK = [
    "ok vậy lập htx cần mấy người",
    "cảm ơn, cho hỏi vốn góp tối đa bao nhiêu",
    "xoá thông tin thành viên khỏi sổ đăng ký thế nào",
    "có được không",
    "vay",
    "không",
    "haha",
    "???",
    "chào bạn, cho hỏi lập htx cần mấy người",
    "ok ok ok ok ok",
]


@pytest.fixture(scope="module")
def smalltalk(kb: KnowledgeBase) -> SmallTalk:
    """The small talk of the repository's lexicon."""
    return SmallTalk(kb.smalltalk, kb.lexicon)


@pytest.mark.parametrize(("text", "intent"), EXAMPLES.items())
def test_small_talk_is_recognised(smalltalk: SmallTalk, text: str, intent: str) -> None:
    assert smalltalk.intent(text) == intent


@pytest.mark.parametrize("text", NOT_SMALL_TALK)
def test_questions_and_noise_are_not_small_talk(smalltalk: SmallTalk, text: str) -> None:
    assert smalltalk.intent(text) is None


def test_no_eval_question_is_taken_for_small_talk(smalltalk: SmallTalk) -> None:
    files = sorted(EVAL.glob("*.jsonl"))
    rows = [json.loads(line) for f in files for line in f.read_text("utf-8").splitlines() if line]
    assert len(files) >= 5 and len(rows) > 900
    found = {r["q"]: smalltalk.intent(r["q"]) for r in rows if smalltalk.intent(r["q"])}
    assert found == SMALL_TALK_ROWS
    assert all(r.get("oos") for r in rows if r["q"] in found)


def test_no_faq_phrasing_is_taken_for_small_talk(smalltalk: SmallTalk, kb: KnowledgeBase) -> None:
    swallowed = [q for e in kb.entries for q in e.questions if smalltalk.intent(q)]
    assert swallowed == []


def test_every_phrase_means_its_own_intent_and_has_a_reply(
    smalltalk: SmallTalk, kb: KnowledgeBase
) -> None:
    for name, phrases in kb.smalltalk.items():
        if name == FILLERS:
            continue
        assert name in kb.messages.strings, f"no message for small-talk intent {name}"
        wrong = {p: smalltalk.intent(p) for p in phrases if smalltalk.intent(p) != name}
        assert wrong == {}, f"{name}: phrases taken for another intent (or none)"


def test_replies_name_the_vote_buttons(kb: KnowledgeBase) -> None:
    say = kb.messages
    assert say("feedback_down").split()[-1] in say("complaint")
    assert say("feedback_up").split()[-1] in say("praise")


async def test_replies_fit_the_message(core: Core) -> None:
    chat = Chat(core)
    ok = (await chat.say("ok"))[0].text
    assert "Không có gì" not in ok and ok == core.kb.messages("ack")
    assert "Không có gì" in (await chat.say("cam on ban nhieu nha"))[0].text
    assert "/help" in (await chat.say("ko hieu"))[0].text
    assert "👎" in (await chat.say("trả lời sai rồi"))[0].text
    assert (await chat.say("ad oi"))[0].text == core.kb.messages("call")
    typed = await chat.say("xoa du lieu cua toi")  # a typed request leads to the confirmation
    assert typed[0].text == core.kb.messages("erase_confirm")


async def test_typed_erasure_request_asks_to_confirm_then_erases(core: Core) -> None:
    chat = Chat(core)
    await chat.say("lap htx can may nguoi")
    assert await core.inquiries.recent(10)
    for text in ("xoa du lieu cua toi", "Tôi muốn xoá thông tin ạ"):
        replies = await chat.say(text)
        assert replies[0].text == core.kb.messages("erase_confirm")
        choices = [unpack(b.payload) for b in replies[0].buttons]
        assert choices == [Erase("yes"), Erase("no")]
    yes = chat.button(core.kb.messages("erase_yes"))
    question = await chat.say("xoá tên thành viên khỏi htx thế nào")
    assert question[0].text != core.kb.messages("erase_confirm")
    await chat.press(yes)
    assert chat.text == core.kb.messages("erase_done")
    assert await core.inquiries.recent(10) == []
