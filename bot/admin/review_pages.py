"""The review queue and the knowledge page: attach, draft, ignore, quick checks, exports."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import yaml
from aiohttp import web

from bot.admin.auth import SECURITY_HEADERS, requires, session_of
from bot.admin.context import ADMIN_KEY
from bot.admin.render import page
from coopbot.admin.accounts import Role
from coopbot.admin.entries import find_entries
from coopbot.admin.review import Group

routes = web.RouteTableDef()
SHOWN_GROUPS = 50
DONE = {
    "attached": "Đã gắn cách hỏi. Bot trả lời được câu này ngay bây giờ.",
    "drafted": "Đã lưu bản nháp mục mới.",
    "ignored": "Đã bỏ qua.",
    "deleted": "Đã xoá.",
    "right": "Đã ghi: trả lời đúng.",
    "wrong": "Đã ghi: trả lời sai. Câu này cũng nằm trong dữ liệu hiệu chỉnh.",
}
ERRORS = {
    "entry": "Chưa chọn mục nào. Tìm theo tiêu đề hoặc nội dung rồi chọn một mục trong danh sách.",
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
    """Grouped unanswered, unsure and disliked questions with their actions; ``pick`` and
    ``q`` search the entries to attach one group to (a plain form: the pages run no script)."""
    admin = request.app[ADMIN_KEY]
    kb = admin.core.kb
    unanswered = await admin.review.unanswered()
    disliked = await admin.review.disliked()
    pick = request.query.get("pick", "")
    query = " ".join(request.query.get("q", "").split())[:200]

    def candidates(g: Group, wrong: str | None) -> list[Any]:
        """Entries to attach ``g`` to: the search for the picked group, else its own text;
        never the entry users just voted wrong."""
        if g.pressed:
            return []
        text = query if pick == str(g.anchor) and query else g.text
        return find_entries(kb, admin.core.router.retriever, text, exclude=(wrong,))

    found = {g.anchor: candidates(g, None) for g in unanswered[:SHOWN_GROUPS]}
    found |= {g.anchor: candidates(g, g.suggested) for g in disliked[:SHOWN_GROUPS]}
    return page(
        request,
        "review.html",
        tab="review",
        flash=DONE.get(request.query.get("done", "")),
        error=ERRORS.get(request.query.get("error", "")),
        unanswered=unanswered,
        disliked=disliked,
        chatter=await admin.review.chatter_groups(),
        found=found,
        limit=SHOWN_GROUPS,
        pick=pick,
        query=query,
        titles={e.id: e.title for e in kb.entries},
    )


@routes.get("/admin/review/checks")
@requires(Role.STAFF)
async def checks(request: web.Request) -> web.Response:
    """Confident answers whose runner-up scored close: right or wrong, one click each."""
    admin = request.app[ADMIN_KEY]
    kb = admin.core.kb
    return page(
        request,
        "checks.html",
        tab="review",
        flash=DONE.get(request.query.get("done", "")),
        checks=await admin.review.checks(),
        entries={e.id: e for e in kb.entries},
    )


@routes.post("/admin/review/check")
@requires(Role.STAFF)
async def check(request: web.Request) -> web.Response:
    """Store a verdict on a checked answer (the calibration data reads it)."""
    form = await request.post()
    right = str(form.get("verdict", "")) == "right"
    staff = session_of(request).staff.name
    await request.app[ADMIN_KEY].curation.set_verdict(_ids(form), right, staff)
    raise web.HTTPSeeOther("/admin/review/checks?done=" + ("right" if right else "wrong"))


@routes.get("/admin/review/verdicts.jsonl")
@requires(Role.STAFF)
async def verdicts_jsonl(request: web.Request) -> web.StreamResponse:
    """Every verdict as ``{"q", "entry_id", "right", "runner_up"}`` lines (calibration input)."""
    response = web.StreamResponse(
        headers={
            **SECURITY_HEADERS,
            "Content-Type": "application/x-ndjson; charset=utf-8",
            "Content-Disposition": 'attachment; filename="verdicts.jsonl"',
        }
    )
    await response.prepare(request)
    async for row in request.app[ADMIN_KEY].review.verdicts():
        await response.write((json.dumps(row, ensure_ascii=False) + "\n").encode())
    await response.write_eof()
    return response


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
        phrasings=await admin.curation.phrasings(pending=True),
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
    for p in await admin.curation.phrasings(pending=True):
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
