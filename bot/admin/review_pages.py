"""The review queue and the knowledge page: attach, draft, ignore, export, remove."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import yaml
from aiohttp import web

from bot.admin.auth import requires, session_of
from bot.admin.context import ADMIN_KEY
from bot.admin.render import page
from coopbot.admin.accounts import Role

routes = web.RouteTableDef()
SHOWN_GROUPS = 50
DONE = {
    "attached": "Đã gắn cách hỏi. Bot trả lời được câu này ngay bây giờ.",
    "drafted": "Đã lưu bản nháp mục mới.",
    "ignored": "Đã bỏ qua.",
    "deleted": "Đã xoá.",
}
ERRORS = {
    "entry": "Không có mục nào mang mã này. Chọn mã trong danh sách gợi ý.",
    "text": "Cách hỏi quá ngắn.",
    "title": "Tiêu đề quá ngắn.",
}


def _ids(form: Any) -> list[int]:
    """The inquiry ids a group action applies to (bad values are dropped)."""
    raw = str(form.get("ids", ""))
    return [int(x) for x in raw.split(",") if x.strip().isdigit() and len(x.strip()) <= 9][:500]


def _text(form: Any, key: str, limit: int) -> str:
    """A trimmed form field, cut to ``limit`` characters."""
    return " ".join(str(form.get(key, "")).split())[:limit]


@routes.get("/admin/review")
@requires(Role.STAFF)
async def review(request: web.Request) -> web.Response:
    """Grouped unanswered, unsure and disliked questions with their actions."""
    admin = request.app[ADMIN_KEY]
    kb = admin.core.kb
    return page(
        request,
        "review.html",
        tab="review",
        flash=DONE.get(request.query.get("done", "")),
        error=ERRORS.get(request.query.get("error", "")),
        unanswered=await admin.review.unanswered(),
        disliked=await admin.review.disliked(),
        entries=sorted(kb.entries, key=lambda e: e.id),
        titles={e.id: e.title for e in kb.entries},
        limit=SHOWN_GROUPS,
    )


def _back(done: str | None = None, error: str | None = None) -> web.HTTPSeeOther:
    """Redirect to the queue after an action (POST → GET)."""
    query = f"?done={done}" if done else f"?error={error}" if error else ""
    return web.HTTPSeeOther("/admin/review" + query)


@routes.post("/admin/review/attach")
@requires(Role.STAFF)
async def attach(request: web.Request) -> web.Response:
    """Store the question as a phrasing of an entry and rebuild the index at once."""
    admin = request.app[ADMIN_KEY]
    form = await request.post()
    entry_id, text = _text(form, "entry_id", 64), _text(form, "text", 500)
    if admin.core.kb.entry(entry_id) is None:
        raise _back(error="entry")
    if len(text) < 3:
        raise _back(error="text")
    askers = await admin.curation.askers(_ids(form))
    await admin.curation.add_phrasing(entry_id, text, session_of(request).staff.name, askers)
    await admin.curation.mark(_ids(form), "attached")
    await admin.refresh_phrasings()
    raise _back("attached")


@routes.post("/admin/review/draft")
@requires(Role.STAFF)
async def draft(request: web.Request) -> web.Response:
    """Keep a new entry draft for curation into knowledge/."""
    admin = request.app[ADMIN_KEY]
    form = await request.post()
    title = _text(form, "title", 300)
    if len(title) < 3:
        raise _back(error="title")
    answer = str(form.get("answer", "")).strip()[:4000]
    askers = await admin.curation.askers(_ids(form))
    sources, staff = _text(form, "sources", 500), session_of(request).staff.name
    await admin.curation.add_draft(title, [title], answer, sources, staff, askers)
    await admin.curation.mark(_ids(form), "drafted")
    raise _back("drafted")


@routes.post("/admin/review/ignore")
@requires(Role.STAFF)
async def ignore(request: web.Request) -> web.Response:
    """Take a group off the queue."""
    await request.app[ADMIN_KEY].curation.mark(_ids(await request.post()), "ignored")
    raise _back("ignored")


@routes.get("/admin/knowledge")
@requires(Role.ADMIN)
async def knowledge(request: web.Request) -> web.Response:
    """Attached phrasings and drafts, with exports and removal."""
    admin = request.app[ADMIN_KEY]
    return page(
        request,
        "knowledge.html",
        tab="knowledge",
        flash=DONE.get(request.query.get("done", "")),
        entry_count=len(admin.core.kb.entries),
        phrasings=await admin.curation.phrasings(),
        drafts=await admin.curation.drafts(),
    )


def _yaml(data: Any, name: str) -> web.Response:
    """A YAML download."""
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return web.Response(
        text=body,
        content_type="application/x-yaml",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@routes.get("/admin/knowledge/phrasings.yaml")
@requires(Role.ADMIN)
async def phrasings_yaml(request: web.Request) -> web.Response:
    """Attached phrasings per entry, with the file each entry lives in."""
    admin = request.app[ADMIN_KEY]
    base = admin.core.live.base_kb
    grouped: dict[str, list[str]] = defaultdict(list)
    for p in await admin.curation.phrasings():
        grouped[p.entry_id].append(p.text)
    rows = []
    for entry_id, texts in grouped.items():
        entry = base.entry(entry_id)
        rows.append({"id": entry_id, "file": entry.file if entry else "?", "add_questions": texts})
    return _yaml(rows, "phrasings.yaml")


@routes.get("/admin/knowledge/drafts.yaml")
@requires(Role.ADMIN)
async def drafts_yaml(request: web.Request) -> web.Response:
    """Drafts in the shape of knowledge/faq entries (ids and sources still to be filled)."""
    rows = [
        {
            "id": f"draft-{d.id}",
            "title": d.title,
            "questions": list(d.questions),
            "answer": d.answer,
            "sources_note": d.sources,
        }
        for d in await request.app[ADMIN_KEY].curation.drafts()
    ]
    return _yaml(rows, "drafts.yaml")


@routes.post("/admin/knowledge/phrasings/{id:\\d{1,9}}/delete")
@requires(Role.ADMIN)
async def delete_phrasing(request: web.Request) -> web.Response:
    """Remove a phrasing (curated into knowledge/ or attached by mistake)."""
    admin = request.app[ADMIN_KEY]
    await admin.curation.delete_phrasing(int(request.match_info["id"]))
    await admin.refresh_phrasings()
    raise web.HTTPSeeOther("/admin/knowledge?done=deleted")


@routes.post("/admin/knowledge/drafts/{id:\\d{1,9}}/delete")
@requires(Role.ADMIN)
async def delete_draft(request: web.Request) -> web.Response:
    """Remove a draft."""
    await request.app[ADMIN_KEY].curation.delete_draft(int(request.match_info["id"]))
    raise web.HTTPSeeOther("/admin/knowledge?done=deleted")
