"""Sign-in, dashboard, conversations and CSV exports."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from aiohttp import web

from bot.admin.auth import (
    LOGIN_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    requires,
    safe_next,
    same,
    set_cookie,
)
from bot.admin.context import ADMIN_KEY
from bot.admin.render import STATUS_NAMES, day_chart, page
from coopbot.admin.accounts import Role
from coopbot.admin.history import ASSESSMENT_COLUMNS, INQUIRY_COLUMNS, STATUSES, ExportFilter

routes = web.RouteTableDef()
FORMULA_START = frozenset("=+-@＝＋－＠")  # full-width forms too: spreadsheets fold them
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"  # zero-width, marks, BOM


@routes.get("/admin/login")
async def login_form(request: web.Request) -> web.Response:
    """The sign-in form with a fresh double-submit token."""
    return _login_page(request, safe_next(request.query.get("next")), "", None, 200)


def _login_page(
    request: web.Request, next_url: str, name: str, error: str | None, status: int
) -> web.Response:
    """Render the form with a new token, also set as a cookie (double submit)."""
    token = secrets.token_urlsafe(24)
    response = page(
        request, "login.html", status=status, login_token=token, next=next_url, name=name,
        error=error,
    )  # fmt: skip
    set_cookie(response, request, LOGIN_COOKIE, token)
    return response


@routes.post("/admin/login")
async def login(request: web.Request) -> web.Response:
    """Check the form token, throttle, verify the password, open a session."""
    admin = request.app[ADMIN_KEY]
    accounts, throttle = admin.accounts, admin.throttle
    form = await request.post()
    name = str(form.get("name", "")).strip().lower()[:64]
    password = str(form.get("password", ""))[:1024]
    next_url = safe_next(str(form.get("next", "")))

    def again(error: str, status: int) -> web.Response:
        return _login_page(request, next_url, name, error, status)

    if not same(str(form.get("csrf", "")), request.cookies.get(LOGIN_COOKIE)):
        return again("Biểu mẫu đã hết hạn. Hãy đăng nhập lại.", 403)
    keys = [f"name:{name}", f"ip:{request.remote or '?'}"]
    wait = await throttle.attempt(keys)  # counted before checking: parallel tries add up
    if wait > 0:
        minutes = max(1, round(wait / 60))
        return again(f"Đăng nhập sai quá nhiều lần. Hãy thử lại sau {minutes} phút.", 429)
    staff = await accounts.authenticate(name, password)
    if staff is None:
        return again("Sai tên đăng nhập hoặc mật khẩu.", 401)
    await throttle.succeeded(keys)
    token, _csrf = await accounts.open_session(staff)
    response = web.HTTPSeeOther(next_url)
    set_cookie(response, request, SESSION_COOKIE, token)
    response.del_cookie(LOGIN_COOKIE, path="/admin")
    raise response


@routes.post("/admin/logout")
@requires(Role.STAFF)
async def logout(request: web.Request) -> web.Response:
    """End the session and forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE, "")
    await request.app[ADMIN_KEY].accounts.close_session(token)
    response = web.HTTPSeeOther("/admin/login")
    response.del_cookie(SESSION_COOKIE, path="/admin")
    raise response


@routes.get("/admin/")
@requires(Role.STAFF)
async def dashboard(request: web.Request) -> web.Response:
    """Figures for the last 7, 30 or 90 days."""
    admin = request.app[ADMIN_KEY]
    days = {"7": 7, "90": 90}.get(request.query.get("days", ""), 30)
    kb = admin.core.kb
    figures = await admin.dashboard.figures(days, flows=kb.flows)
    return page(
        request,
        "dashboard.html",
        tab="dashboard",
        f=figures,
        days=days,
        chart=day_chart(figures.days, figures.peak),
        titles={e.id: e.title for e in kb.entries},
        flow_titles={fid: flow.title for fid, flow in kb.flows.items()},
        province_names={p.id: p.name for p in kb.audience.provinces},
        assessments_total=sum(c.total() for c in figures.assessments.values()),
        quarantined=await admin.quarantine.count(),
    )


@routes.get("/admin/errors")
@requires(Role.STAFF)
async def errors(request: web.Request) -> web.Response:
    """Messages and records set aside after failing repeatedly (they block nothing)."""
    items = await request.app[ADMIN_KEY].quarantine.recent(200)
    return page(request, "errors.html", tab="dashboard", items=items)


@routes.get("/admin/conversations")
@requires(Role.STAFF)
async def conversations(request: web.Request) -> web.Response:
    """Recent users, or one user's exchanges."""
    admin = request.app[ADMIN_KEY]
    user = request.query.get("user", "")[:64]
    titles = {e.id: e.title for e in admin.core.kb.entries}
    if user:
        items = await admin.history.conversation(user)
        return page(
            request, "conversations.html", tab="conversations", user=user, items=items,
            titles=titles, users=[],
        )  # fmt: skip
    users = await admin.history.recent_users()
    return page(
        request, "conversations.html", tab="conversations", user="", users=users, items=[],
        titles=titles,
    )  # fmt: skip


@routes.get("/admin/export")
@requires(Role.STAFF)
async def export_page(request: web.Request) -> web.Response:
    """Export forms."""
    return page(request, "export.html", tab="export", status_names=STATUS_NAMES)


def parse_filter(query: Any) -> ExportFilter | str:
    """Query string → filter; a string names the bad parameter."""
    days: list[date | None] = []
    for key in ("from", "to"):
        raw = query.get(key, "")
        try:
            days.append(date.fromisoformat(raw) if raw else None)
        except ValueError:
            return f"'{key}' phải là ngày dạng YYYY-MM-DD"
    status = query.get("status", "") or None
    if status is not None and status not in STATUSES:
        return "'status' phải là một trong: " + ", ".join(STATUSES)
    channel = query.get("channel", "")[:16] or None
    return ExportFilter(days[0], days[1], channel, status)


def csv_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas users may have typed (CSV injection), also behind
    leading spaces, line breaks or invisible characters, which spreadsheets skip."""
    if not isinstance(value, str):
        return value
    head = value
    while head and (head[0].isspace() or head[0] in INVISIBLE):
        head = head[1:]
    if head[:1] in FORMULA_START or (head != value and value[:1] in "\t\r\n"):
        return "'" + value
    return value


async def _stream_csv(
    request: web.Request, name: str, header: tuple[str, ...], rows: AsyncIterator[list[Any]]
) -> web.StreamResponse:
    """Write ``rows`` as CSV while they are read, a few hundred at a time."""
    response = web.StreamResponse(
        headers={
            **SECURITY_HEADERS,  # set before prepare: the middleware's come too late for a stream
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
        }
    )
    await response.prepare(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # BOM: Excel then reads the Vietnamese text as UTF-8
    writer.writerow(header)
    count = 0
    async for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        count += 1
        if count % 200 == 0:
            await response.write(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
    await response.write(buffer.getvalue().encode())
    await response.write_eof()
    return response


@routes.get("/admin/export/{table:inquiries|assessments}.csv")
@requires(Role.STAFF)
async def export_csv(request: web.Request) -> web.StreamResponse:
    """Inquiries (filters: dates, channel, status) or assessment results (dates, channel)."""
    flt = parse_filter(request.query)
    if isinstance(flt, str):
        return web.Response(status=400, text=flt)
    history = request.app[ADMIN_KEY].history
    table = request.match_info["table"]
    if table == "inquiries":
        return await _stream_csv(
            request, "inquiries.csv", INQUIRY_COLUMNS, history.inquiry_rows(flt)
        )
    rows = history.assessment_rows(flt, request.app[ADMIN_KEY].core.kb.flows)
    return await _stream_csv(request, "assessments.csv", ASSESSMENT_COLUMNS, rows)
