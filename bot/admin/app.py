"""Wire the staff web into the server: middleware, routes and the phrasing sync task."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from bot.admin.auth import make_middleware
from bot.admin.broadcast_pages import routes as broadcast_routes
from bot.admin.context import ADMIN_KEY, Admin
from bot.admin.pages import routes as page_routes
from bot.admin.render import busy, forbidden
from bot.admin.review_pages import routes as review_routes
from bot.admin.users_pages import routes as user_routes


def add_admin(app: web.Application, admin: Admin) -> None:
    """Mount /admin on ``app`` and own the phrasing sync task."""
    app[ADMIN_KEY] = admin
    app.middlewares.append(make_middleware(admin.accounts, forbidden, busy))
    for routes in (page_routes, review_routes, user_routes, broadcast_routes):
        app.router.add_routes(routes)

    async def sync(_app: web.Application) -> AsyncIterator[None]:
        await admin.refresh_phrasings()
        task = asyncio.create_task(admin.sync_forever(), name="admin-phrasing-sync")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(sync)
