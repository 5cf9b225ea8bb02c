"""``/thongbao`` for officers: draft, pick filters with buttons, preview the count, confirm.

The draft lives in the ``broadcast`` table, so each button press may reach any worker.
Presses are ``Compose(draft, action, value)``; the dispatcher decides who is an officer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from coopbot.broadcast.model import CHANNELS, AudienceFilter, BroadcastError
from coopbot.broadcast.service import Broadcasts
from coopbot.knowledge.model import KnowledgeBase
from coopbot.messages import Button, Reply
from coopbot.payloads import Compose

VIETNAM = timezone(timedelta(hours=7))


def next_morning(now: datetime) -> datetime:
    """8:00 tomorrow, Vietnam time."""
    local = now.astimezone(VIETNAM) + timedelta(days=1)
    return local.replace(hour=8, minute=0, second=0, microsecond=0)


class Composer:
    """Officer commands and buttons → replies (through the broadcast service)."""

    def __init__(self, kb: KnowledgeBase, broadcasts: Broadcasts) -> None:
        self.kb, self.service, self.say = kb, broadcasts, kb.messages

    async def command(self, body: str, officer: str) -> list[Reply]:
        """``/thongbao TEXT`` starts a draft; ``/thongbao ID`` shows a broadcast's progress."""
        body = body.strip()
        if not body:
            return [Reply(self.say("compose_usage"))]
        if body.isdigit() and len(body) <= 12:
            return [await self._status(int(body))]
        try:
            draft = await self.service.draft(body, AudienceFilter(), officer)
        except BroadcastError as exc:
            return [Reply(str(exc))]
        return [await self._preview(draft)]

    async def press(self, press: Compose) -> list[Reply]:
        """A button on a draft."""
        draft, action, value = press.draft, press.action, (press.value or None)
        try:
            _, audience = await self.service.text(draft)
            if action in ("send", "later") and not (await self.service.preview(audience)).count:
                # an old preview's button, or subscribers who left since: nobody to send to
                return [Reply(self.say("compose_refused_empty")), await self._preview(draft)]
            if action == "send":
                count = await self.service.queue(draft)
                return [Reply(self.say("compose_queued", id=draft, count=count))]
            if action == "later":
                when = next_morning(datetime.now(UTC))
                count = await self.service.queue(draft, when)
                shown = when.strftime("%H:%M %d/%m/%Y")
                return [Reply(self.say("compose_scheduled", id=draft, when=shown, count=count))]
            if action == "cancel":
                await self.service.cancel(draft)
                return [Reply(self.say("compose_cancelled"))]
            if value is None and action in ("p", "t"):
                return [self._pick(draft, action)]
            changed = self._changed(audience, action, value)
            if changed is not None and not await self.service.set_audience(draft, changed):
                return [Reply(self.say("compose_gone"))]
        except BroadcastError:
            return [Reply(self.say("compose_gone"))]
        return [await self._preview(draft)]

    def _changed(
        self, audience: AudienceFilter, action: str, value: str | None
    ) -> AudienceFilter | None:
        """The filter after a press, or None when nothing changes."""
        picked = None if value in (None, "all") else value
        if action == "ch":
            order = [None, *CHANNELS]
            nxt = order[(order.index(audience.channel) + 1) % len(order)]
            return AudienceFilter(nxt, audience.province, audience.topic)
        if action == "p" and (picked is None or self.kb.audience.province(picked)):
            return AudienceFilter(audience.channel, picked, audience.topic)
        if action == "t" and (picked is None or self.kb.audience.topic(picked)):
            return AudienceFilter(audience.channel, audience.province, picked)
        return None

    def _pick(self, draft: int, what: str) -> Reply:
        """Province or topic buttons (plus "all")."""
        items = self.kb.audience.provinces if what == "p" else self.kb.audience.topics
        buttons = [Button(self.say("compose_any"), Compose(draft, what, "all").pack())]
        buttons += [Button(i.name, Compose(draft, what, i.id).pack()) for i in items]
        key = "compose_pick_province" if what == "p" else "compose_pick_topic"
        return Reply(self.say(key), tuple(buttons))

    async def _preview(self, draft: int) -> Reply:
        """The text, filters, recipient counts (with the Zalo cost note) and the buttons."""
        text, audience = await self.service.text(draft)
        preview = await self.service.preview(audience)
        any_ = self.say("compose_any")
        province = self.kb.audience.province(audience.province or "")
        topic = self.kb.audience.topic(audience.topic or "")
        values = {
            "channel": audience.channel or any_,
            "province": province.name if province else any_,
            "topic": topic.name if topic else any_,
        }
        body = self.say(
            "compose_preview",
            text=text,
            count=preview.count,
            telegram=preview.by_channel.get("telegram", 0),
            zalo=preview.zalo_count,
            **values,
        )
        if preview.zalo_count:
            body += "\n" + self.say("compose_zalo_note")
        filters = (
            Button(
                self.say("compose_channel", value=values["channel"]), Compose(draft, "ch").pack()
            ),
            Button(
                self.say("compose_province", value=values["province"]), Compose(draft, "p").pack()
            ),
            Button(self.say("compose_topic", value=values["topic"]), Compose(draft, "t").pack()),
        )
        cancel = Button(self.say("compose_cancel"), Compose(draft, "cancel").pack())
        if not preview.count:  # nobody to send to: only change the filters, or cancel
            return Reply(body + "\n" + self.say("compose_no_recipients"), (*filters, cancel))
        confirm = (
            Button(self.say("compose_send"), Compose(draft, "send").pack()),
            Button(self.say("compose_tomorrow"), Compose(draft, "later").pack()),
        )
        return Reply(body, (*filters, *confirm, cancel))

    async def _status(self, broadcast_id: int) -> Reply:
        """Progress of one broadcast."""
        try:
            st = await self.service.status(broadcast_id)
        except BroadcastError as exc:
            return Reply(str(exc))
        return Reply(
            self.say(
                "compose_status",
                id=broadcast_id,
                state=st.state,
                sent=st.sent,
                total=st.total,
                failed=st.failed,
                blocked=st.blocked,
                pending=st.pending,
            )
        )
