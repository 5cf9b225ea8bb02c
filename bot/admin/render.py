"""Templates, labels and the day chart shared by the staff pages."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.admin.auth import SESSION
from coopbot.admin.accounts import Role
from coopbot.admin.dashboard import Day
from coopbot.admin.labels import CHANNEL_NAMES, KIND_NAMES, LOCAL, STATUS_NAMES

__all__ = ["STATUS_NAMES", "day_chart", "page"]
ROLE_NAMES = {Role.STAFF: "Nhân viên", Role.OFFICER: "Cán bộ", Role.ADMIN: "Quản trị"}
CHART_HEIGHT = 160  # px of the bars; the chart scales only in width, so its labels stay 12 px
LABEL_PX = 12


def vn_time(value: datetime | None) -> str:
    """``24/11 14:05`` in Vietnam time."""
    return value.astimezone(LOCAL).strftime("%d/%m %H:%M") if value else ""


TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
TEMPLATES.filters["vn_time"] = vn_time
TEMPLATES.globals.update(role_names=ROLE_NAMES, channel_names=CHANNEL_NAMES, kind_names=KIND_NAMES)


def page(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    """Render a staff page with the signed-in user, CSRF token and flash message."""
    info = request.get(SESSION)
    context: dict[str, Any] = {
        "me": info.staff if info else None,
        "csrf": info.csrf if info else "",
        "flash": values.pop("flash", None),
        "error": values.pop("error", None),
        "tab": values.pop("tab", ""),
    }
    context.update(values)
    html = TEMPLATES.get_template(template).render(**context)
    return web.Response(text=html, content_type="text/html", status=status)


def forbidden(request: web.Request, reason: str) -> web.Response:
    """The 403 page: missing role, or a form without its CSRF token."""
    detail = (
        "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang rồi thử lại."
        if reason == "csrf"
        else "Tài khoản của bạn không có quyền mở trang này."
    )
    return page(request, "error.html", status=403, heading="Không được phép", detail=detail)


def busy(request: web.Request) -> web.Response:
    """The 503 page while the database does not answer."""
    detail = "Hệ thống đang bận (cơ sở dữ liệu chưa phản hồi). Hãy thử lại sau ít phút."
    response = page(request, "error.html", status=503, heading="Hệ thống đang bận", detail=detail)
    response.headers["Retry-After"] = "30"
    return response


def day_chart(days: list[Day], peak: int, height: int = CHART_HEIGHT) -> str:
    """Inline SVG bars per day: confident answers dark, the rest light (no script, CSP-safe).

    Positions are percentages of the width and the SVG has no viewBox, so the bars stretch to
    any screen while the day labels keep their 12 px (a scaled viewBox shrank them to about
    5 px on a 360 px phone). Colours are SVG attributes: the stylesheet's rules are for
    ``svg.chart``, and inline styles are barred by the CSP."""
    count = max(len(days), 1)
    slot = 100 / count
    every = max(-(-count // 6), 1)  # about six labels, whatever the period
    parts = [
        f'<svg class="daychart" width="100%" height="{height + LABEL_PX + 8}" role="img" '
        f'aria-label="Câu hỏi mỗi ngày">'
    ]
    for i, d in enumerate(days):
        x, w = f"{i * slot + slot * 0.1:.3f}%", f"{slot * 0.8:.3f}%"
        h_all = height * d.total / peak
        h_ok = height * d.confident / peak
        label = f"{d.day:%d/%m}: {d.total} câu hỏi, {d.confident} trả lời chắc chắn"
        parts.append(f'<g class="day" data-total="{d.total}"><title>{label}</title>')
        parts.append(
            f'<rect class="no" fill="#7fb28f" x="{x}" y="{height - h_all:.1f}" '
            f'width="{w}" height="{h_all:.1f}"/>'
        )
        parts.append(
            f'<rect class="ok" fill="#1b6b3a" x="{x}" y="{height - h_ok:.1f}" '
            f'width="{w}" height="{h_ok:.1f}"/></g>'
        )
        if i % every == 0:
            parts.append(
                f'<text x="{i * slot:.3f}%" y="{height + LABEL_PX + 2}" font-size="{LABEL_PX}" '
                f'fill="#444">{d.day:%d/%m}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
