"""Subscribing to announcements: province and topics chosen with buttons; change or stop.

The subscriber row is the dialogue's state (each button says what it sets), so any worker can
take the next press. Presses are ``Subscribe(action, value)``: start, p (province), t (topic
toggle), all, done, stop; commands ``/dangky`` and ``/huydangky``.
"""

from __future__ import annotations

from dataclasses import replace

from coopbot.knowledge.model import KnowledgeBase
from coopbot.messages import Button, IncomingMessage, Reply
from coopbot.payloads import Subscribe
from coopbot.storage.subscribers import SubscriberStore, Subscription

START = Subscribe("start")
COMMANDS = {"dangky": START, "dangkynhantin": START, "huydangky": Subscribe("stop")}
CHANNELS = frozenset({"telegram", "zalo"})  # where announcements can be delivered


class SubscriptionDialog:
    """Answers subscription commands and buttons, reading and writing the subscriber store."""

    def __init__(self, kb: KnowledgeBase, store: SubscriberStore) -> None:
        self.kb, self.store = kb, store
        self.say = kb.messages

    async def handle(self, msg: IncomingMessage, user_key: str, press: Subscribe) -> list[Reply]:
        """One command or button press."""
        channel, chat_id = msg.user.channel, msg.user.user_id
        if channel not in CHANNELS:
            return [Reply(self.say("sub_unavailable"))]
        current = await self.store.get(channel, chat_id)
        sub = current or Subscription(channel, chat_id, user_key)
        sub = replace(sub, user_key=user_key)
        action, value = press.action, press.value
        if action == "stop":
            if current is None or not current.subscribed:
                return [Reply(self.say("sub_not_subscribed"))]
            await self.store.save(replace(sub, subscribed=False))
            return [Reply(self.say("sub_stopped"))]
        if action == "p" and self.kb.audience.province(value):
            await self.store.save(replace(sub, province=value))
            return [self._topics(replace(sub, province=value))]
        if action == "t" and self.kb.audience.topic(value) and sub.province:
            sub = sub.with_topic_toggled(value)
            await self.store.save(sub)
            return [self._topics(sub)]
        if action in ("all", "done") and sub.province:
            sub = replace(sub, subscribed=True, topics=() if action == "all" else sub.topics)
            await self.store.save(sub)
            return [Reply(self.say("sub_done", **self._labels(sub)))]
        return [self._provinces()]

    async def offer(self, msg: IncomingMessage) -> Reply | None:
        """After /start: the current subscription, or an offer to subscribe."""
        if msg.user.channel not in CHANNELS:
            return None
        sub = await self.store.get(msg.user.channel, msg.user.user_id)
        if sub is not None and sub.subscribed:
            return Reply(self.say("sub_status", **self._labels(sub)))
        return Reply(self.say("sub_offer"), (Button(self.say("sub_button"), START.pack()),))

    def _provinces(self) -> Reply:
        """The 34 provinces as buttons."""
        buttons = tuple(
            Button(p.name, Subscribe("p", p.id).pack()) for p in self.kb.audience.provinces
        )
        return Reply(self.say("sub_ask_province"), buttons)

    def _topics(self, sub: Subscription) -> Reply:
        """Topic toggles (✅ on chosen ones), "all" and "done"."""
        buttons = [
            Button(("✅ " if t.id in sub.topics else "") + t.name, Subscribe("t", t.id).pack())
            for t in self.kb.audience.topics
        ]
        buttons.append(Button(self.say("sub_all_topics"), Subscribe("all").pack()))
        buttons.append(Button(self.say("sub_done_button"), Subscribe("done").pack()))
        province = self._labels(sub)["province"]
        return Reply(self.say("sub_ask_topics", province=province), tuple(buttons))

    def _labels(self, sub: Subscription) -> dict[str, str]:
        """Province and topic names for messages."""
        audience = self.kb.audience
        place = audience.province(sub.province or "")
        names = [t.name for t in audience.topics if t.id in sub.topics]
        topics = ", ".join(names) if names else self.say("sub_all_label")
        return {"province": place.name if place else "?", "topics": topics}
