"""Sign-in, sessions, CSRF and role checks for every ``/admin`` request."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import web

from coopbot.admin.accounts import Accounts, Role, SessionInfo
from coopbot.storage.db import unavailable

log = logging.getLogger(__name__)

SESSION_COOKIE = "coopbot_admin"
LOGIN_COOKIE = "coopbot_login"  # double-submit CSRF token of the sign-in form
PUBLIC = frozenset({"/admin/login"})
SESSION = web.RequestKey("admin_session", SessionInfo)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Handler)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def requires(role: Role) -> Callable[[H], H]:
    """Mark a view with the least role that may open it."""

    def mark(handler: H) -> H:
        handler.required_role = role  # type: ignore[attr-defined]
        return handler

    return mark


def session_of(request: web.Request) -> SessionInfo:
    """The signed-in session (set by the middleware on every protected view)."""
    return request[SESSION]


def is_secure(request: web.Request) -> bool:
    """HTTPS directly or behind a proxy that says so: cookies then carry ``Secure``."""
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str) -> None:
    """An HTTP-only, same-site-strict cookie scoped to /admin."""
    response.set_cookie(
        name,
        value,
        path="/admin",
        httponly=True,
        samesite="Strict",
        secure=is_secure(request),
        max_age=12 * 3600,
    )


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two present tokens."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def login_redirect(request: web.Request) -> web.HTTPFound:
    """Send an anonymous visitor to the sign-in page, remembering where they were going."""
    target = request.path_qs if request.method == "GET" else "/admin/"
    return web.HTTPFound(f"/admin/login?next={quote(target, safe='')}")


def safe_next(target: str | None) -> str:
    """Only redirect back inside /admin (no open redirects)."""
    if target and target.startswith("/admin") and "//" not in target and "\\" not in target:
        return target
    return "/admin/"


def make_middleware(
    accounts: Accounts,
    forbidden: Callable[[web.Request, str], web.Response],
    busy: Callable[[web.Request], web.Response],
) -> Any:
    """Middleware: sign-in, role and CSRF checks on /admin; security headers on its responses;
    a 503 page, not a 500, while the database does not answer."""

    @web.middleware
    async def admin_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Let through what is allowed; redirect, 403 or refuse the rest."""
        if request.path != "/admin" and not request.path.startswith("/admin/"):
            return await handler(request)
        if request.path == "/admin":
            raise web.HTTPFound("/admin/")
        try:
            if request.path not in PUBLIC:
                denied = await _check(request, accounts, forbidden)
                if denied is not None:
                    return denied
            response = await handler(request)
        except Exception as exc:
            if not unavailable(exc):
                raise
            log.warning("staff page unavailable: %s", exc)
            response = busy(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    return admin_guard


async def _check(
    request: web.Request,
    accounts: Accounts,
    forbidden: Callable[[web.Request, str], web.Response],
) -> web.StreamResponse | None:
    """None when the request may proceed, else the response refusing it."""
    token = request.cookies.get(SESSION_COOKIE)
    info = await accounts.session(token) if token else None
    if info is None:
        raise login_redirect(request)
    request[SESSION] = info
    if request.match_info.http_exception is not None:
        return None  # a signed-in user asking for a page that does not exist gets the 404
    required: Role = getattr(request.match_info.handler, "required_role", Role.ADMIN)
    if info.staff.role < required:
        return forbidden(request, "role")
    if request.method not in ("GET", "HEAD"):
        form = await request.post()
        sent = form.get("csrf")
        if not same(sent if isinstance(sent, str) else None, info.csrf):
            return forbidden(request, "csrf")
    return None
