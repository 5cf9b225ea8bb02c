"""A real staff web on loopback over a fresh SQLite or PostgreSQL database, with three accounts."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin.app import add_admin
from bot.admin.context import Admin
from bot.web.chat_api import add_routes
from coopbot.admin.accounts import Role
from coopbot.config import REPO_KNOWLEDGE, load_settings
from coopbot.core import Core, Stores, build_core
from coopbot.inbound.pipeline import Pipeline
from coopbot.storage.channel_state import MemoryContactStore
from coopbot.storage.db import make_engine
from coopbot.storage.dialogs import SqlAssessmentLog, SqlDialogStore
from coopbot.storage.inbox import MemoryInbox
from coopbot.storage.inquiries import SqlInquiryLog
from coopbot.storage.migrate import upgrade_async

PASSWORD = "mat-khau-dai-123"
USERS = {"an": Role.ADMIN, "binh": Role.OFFICER, "chi": Role.STAFF}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Site:
    """A running staff web."""

    base: str
    engine: AsyncEngine
    core: Core
    admin: Admin
    database_url: str

    async def ask(self, text: str, user: str = "farmer") -> dict:  # type: ignore[type-arg]
        """One message through /api/chat."""
        async with aiohttp.ClientSession() as http:
            body = {"user_id": user, "text": text}
            async with http.post(f"{self.base}/api/chat", json=body) as resp:
                assert resp.status == 200
                return await resp.json()  # type: ignore[no-any-return]

    async def login(self, name: str, password: str = PASSWORD) -> aiohttp.ClientSession:
        """A browser-like session signed in as ``name``."""
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        status = await self.sign_in(http, name, password)
        assert status == 303, status
        return http

    async def sign_in(self, http: aiohttp.ClientSession, name: str, password: str) -> int:
        """Post the sign-in form the way a browser does; the response status."""
        async with http.get(f"{self.base}/admin/login") as resp:
            token = CSRF.search(await resp.text())
        assert token is not None
        form = {"csrf": token.group(1), "name": name, "password": password, "next": "/admin/"}
        async with http.post(f"{self.base}/admin/login", data=form, allow_redirects=False) as resp:
            return resp.status


async def csrf_of(http: aiohttp.ClientSession, url: str) -> str:
    """The CSRF token on a signed-in page."""
    async with http.get(url) as resp:
        found = CSRF.search(await resp.text())
    assert found is not None
    return found.group(1)


async def start_site(url: str, shared: Core) -> tuple[Site, web.AppRunner]:
    """Migrate, build the core over the database, serve /api/chat and /admin."""
    await upgrade_async(url)
    engine = make_engine(url)
    inquiries = SqlInquiryLog(engine)
    stores = Stores(inquiries, SqlDialogStore(engine), SqlAssessmentLog(engine))
    settings = load_settings(knowledge_dir=REPO_KNOWLEDGE)
    assert shared.live.router.kb is shared.live.base_kb  # the shared core stays as loaded
    core = build_core(settings, stores, router=shared.live.router)  # the index is built once
    await inquiries.start()
    app = web.Application()
    add_routes(app, Pipeline(core, MemoryInbox(), {}, MemoryContactStore()))
    admin = Admin.build(core, engine)
    add_admin(app, admin)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return Site(f"http://127.0.0.1:{port}", engine, core, admin, url), runner


async def stop_site(site: Site, runner: web.AppRunner) -> None:
    """Shut the server, flush the log, close the engine."""
    await runner.cleanup()
    await site.core.inquiries.close()
    await site.engine.dispose()


@pytest.fixture
async def site(database_url: str, shared_core: Core) -> AsyncIterator[Site]:
    """The staff web with accounts an (admin), binh (officer) and chi (staff)."""
    running, runner = await start_site(database_url, shared_core)
    for name, role in USERS.items():
        await running.admin.accounts.create_user(name, role, PASSWORD)
    yield running
    await stop_site(running, runner)
