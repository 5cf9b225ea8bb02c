"""Account management for admins."""

from __future__ import annotations

from aiohttp import web

from bot.admin.auth import requires, session_of
from bot.admin.context import ADMIN_KEY
from bot.admin.render import ROLE_NAMES, page
from coopbot.admin.accounts import Role
from coopbot.errors import InputError

routes = web.RouteTableDef()
ROLE_CHOICES = [(r.name.lower(), ROLE_NAMES[r]) for r in Role]
DONE = {
    "created": "Đã thêm tài khoản.",
    "role": "Đã đổi vai trò.",
    "activate": "Đã mở khoá tài khoản.",
    "deactivate": "Đã khoá tài khoản.",
    "password": "Đã đặt lại mật khẩu; các phiên đăng nhập cũ đã bị đóng.",
}
ERRORS = {
    "name": "Tên đăng nhập đã có, hoặc có ký tự ngoài a-z, 0-9, '.', '_', '-'.",
    "password": "Mật khẩu cần ít nhất 10 ký tự.",
    "role": "Vai trò không hợp lệ.",
    "self": "Bạn không thể tự khoá hay tự bỏ quyền quản trị của mình.",
    "user": "Không có tài khoản này.",
}


def _error_key(exc: InputError) -> str:
    """Which form field an InputError from the accounts service is about."""
    text = str(exc)
    for key in ("name", "password"):
        if text.startswith(key):
            return key
    return "user" if "no such user" in text else "role"


def _back(done: str | None = None, error: str | None = None) -> web.HTTPSeeOther:
    """Back to the list with a message."""
    return web.HTTPSeeOther("/admin/users" + (f"?done={done}" if done else f"?error={error}"))


@routes.get("/admin/users")
@requires(Role.ADMIN)
async def users(request: web.Request) -> web.Response:
    """Every account with its role and state."""
    return page(
        request,
        "users.html",
        tab="users",
        users=await request.app[ADMIN_KEY].accounts.users(),
        role_choices=ROLE_CHOICES,
        flash=DONE.get(request.query.get("done", "")),
        error=ERRORS.get(request.query.get("error", "")),
    )


@routes.post("/admin/users")
@requires(Role.ADMIN)
async def create(request: web.Request) -> web.Response:
    """Add an account."""
    form = await request.post()
    try:
        role = Role.parse(str(form.get("role", "")))
        await request.app[ADMIN_KEY].accounts.create_user(
            str(form.get("name", "")), role, str(form.get("password", ""))
        )
    except InputError as exc:
        raise _back(error=_error_key(exc)) from None
    raise _back("created")


@routes.post("/admin/users/{id:\\d{1,9}}")
@requires(Role.ADMIN)
async def update(request: web.Request) -> web.Response:
    """Change role, lock or unlock, or reset the password of one account."""
    accounts = request.app[ADMIN_KEY].accounts
    form = await request.post()
    user_id = int(request.match_info["id"])
    action = str(form.get("action", ""))
    me = session_of(request).staff
    try:
        if action == "password":
            await accounts.set_password(user_id, str(form.get("password", "")))
        elif action == "role":
            role = Role.parse(str(form.get("role", "")))
            if user_id == me.id and role < Role.ADMIN:
                raise _back(error="self")
            found = await accounts.update_user(user_id, role=role)
        elif action in ("activate", "deactivate"):
            if user_id == me.id:
                raise _back(error="self")
            found = await accounts.update_user(user_id, active=action == "activate")
        else:
            raise _back(error="role")
    except InputError as exc:
        raise _back(error=_error_key(exc)) from None
    if action != "password" and not found:
        raise _back(error="user")
    raise _back(action)
