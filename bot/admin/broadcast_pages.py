"""Announcements for officers: compose, preview with recipient count, confirm or schedule,
follow progress, cancel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.admin.auth import requires, session_of
from bot.admin.context import ADMIN_KEY
from bot.admin.render import page
from coopbot.admin.accounts import Role
from coopbot.broadcast.model import CHANNELS, AudienceFilter, BroadcastError
from coopbot.broadcast.service import MAX_TEXT, Broadcasts

routes = web.RouteTableDef()
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
STATE_NAMES = {
    "draft": "Bản nháp",
    "scheduled": "Đã hẹn giờ",
    "queued": "Chờ gửi",
    "sending": "Đang gửi",
    "done": "Đã gửi xong",
    "cancelled": "Đã huỷ",
}
LIVE = ("queued", "sending", "scheduled")


def _service(request: web.Request) -> Broadcasts:
    """The broadcast service."""
    return request.app[ADMIN_KEY].broadcasts


def _audience(request: web.Request, form: Mapping[str, Any]) -> AudienceFilter:
    """Form fields → filter; empty means "any", an unknown value is refused."""
    kb = request.app[ADMIN_KEY].core.kb
    channel = str(form.get("channel", "")) or None
    if channel is not None and channel not in CHANNELS:
        raise BroadcastError("unknown channel")
    province_key, topic_key = str(form.get("province", "")), str(form.get("topic", ""))
    province = kb.audience.province(province_key) if province_key else None
    topic = kb.audience.topic(topic_key) if topic_key else None
    if (province_key and province is None) or (topic_key and topic is None):
        raise BroadcastError("unknown province or topic")
    return AudienceFilter(channel, province.id if province else None, topic.id if topic else None)


def _labels(request: web.Request) -> dict[str, dict[str, str]]:
    """Display names of provinces and topics by id."""
    audience = request.app[ADMIN_KEY].core.kb.audience
    return {
        "provinces": {p.id: p.name for p in audience.provinces},
        "topics": {t.id: t.name for t in audience.topics},
    }


@routes.get("/admin/broadcasts")
@requires(Role.OFFICER)
async def broadcasts(request: web.Request) -> web.Response:
    """The compose form and the latest announcements with their progress."""
    audience = request.app[ADMIN_KEY].core.kb.audience
    return page(
        request,
        "broadcasts.html",
        tab="broadcasts",
        items=await _service(request).list(30),
        provinces=audience.provinces,
        topics=audience.topics,
        labels=_labels(request),
        states=STATE_NAMES,
        max_text=MAX_TEXT,
        error=request.query.get("error") and "Chưa gửi được: kiểm tra nội dung và bộ lọc.",
    )


@routes.post("/admin/broadcasts")
@requires(Role.OFFICER)
async def compose(request: web.Request) -> web.Response:
    """Store a draft and show its preview."""
    form = await request.post()
    try:
        draft = await _service(request).draft(
            str(form.get("text", "")), _audience(request, form), session_of(request).staff.name
        )
    except BroadcastError:
        raise web.HTTPSeeOther("/admin/broadcasts?error=1") from None
    raise web.HTTPSeeOther(f"/admin/broadcasts/{draft}")


@routes.get("/admin/broadcasts/{id:\\d{1,9}}")
@requires(Role.OFFICER)
async def detail(request: web.Request) -> web.Response:
    """A draft's preview (count, Zalo note, confirm, schedule) or a broadcast's progress."""
    service = _service(request)
    broadcast_id = int(request.match_info["id"])
    try:
        text, audience = await service.text(broadcast_id)
        status = await service.status(broadcast_id)
    except BroadcastError:
        raise web.HTTPNotFound() from None
    preview = await service.preview(audience) if status.state == "draft" else None
    return page(
        request,
        "broadcast.html",
        tab="broadcasts",
        id=broadcast_id,
        text=text,
        audience=audience,
        st=status,
        preview=preview,
        labels=_labels(request),
        states=STATE_NAMES,
        live=status.state in LIVE,
        error=SEND_ERRORS.get(request.query.get("error", "")),
    )


SEND_ERRORS = {
    "1": "Giờ hẹn không hợp lệ (phải ở tương lai).",
    "empty": "Chưa gửi: bộ lọc hiện không khớp người nhận nào. Đổi bộ lọc hoặc huỷ.",
}


def _schedule(raw: str) -> datetime | None:
    """``2026-12-01T08:00`` in Vietnam time → aware datetime; empty → now."""
    if not raw:
        return None
    when = datetime.fromisoformat(raw)
    return when.replace(tzinfo=LOCAL) if when.tzinfo is None else when


@routes.post("/admin/broadcasts/{id:\\d{1,9}}/send")
@requires(Role.OFFICER)
async def send(request: web.Request) -> web.Response:
    """Confirm a draft: queue it now or at the chosen time."""
    broadcast_id = int(request.match_info["id"])
    form = await request.post()
    try:
        when = _schedule(str(form.get("schedule", "")))
        if when is not None and when.timestamp() < _service(request).clock():
            raise ValueError("in the past")
        _, audience = await _service(request).text(broadcast_id)
        if not (await _service(request).preview(audience)).count:  # a stale page's button
            raise web.HTTPSeeOther(f"/admin/broadcasts/{broadcast_id}?error=empty")
        await _service(request).queue(broadcast_id, when)
    except (ValueError, BroadcastError):
        raise web.HTTPSeeOther(f"/admin/broadcasts/{broadcast_id}?error=1") from None
    raise web.HTTPSeeOther(f"/admin/broadcasts/{broadcast_id}")


@routes.post("/admin/broadcasts/{id:\\d{1,9}}/cancel")
@requires(Role.OFFICER)
async def cancel(request: web.Request) -> web.Response:
    """Stop what has not been sent yet."""
    broadcast_id = int(request.match_info["id"])
    await _service(request).cancel(broadcast_id)
    raise web.HTTPSeeOther(f"/admin/broadcasts/{broadcast_id}")
