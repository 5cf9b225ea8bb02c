"""Regression tests for the faults found by probing the running server (issue 12), each on a
real loopback server; database tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import aiohttp
import pytest
from aiohttp import web
from argon2 import PasswordHasher
from sqlalchemy import text

from bot.admin.pages import csv_cell
from bot.server import PIPELINE_KEY, make_app
from coopbot.admin.accounts import Accounts, Role
from coopbot.config import REPO_KNOWLEDGE, load_settings
from coopbot.inbound.pipeline import Pipeline
from coopbot.storage.db import make_engine
from coopbot.storage.inquiries import InquiryRecord, SqlInquiryLog
from coopbot.storage.migrate import upgrade_async
from coopbot.storage.quarantine import SqlQuarantineStore


@dataclass
class Served:
    """A running server: its address, database and pipeline."""

    base: str
    db: str
    pipeline: Pipeline


@pytest.fixture
async def served(database_url: str) -> AsyncIterator[Served]:
    """``make_app`` on an ephemeral port over a fresh database."""
    settings = load_settings(knowledge_dir=REPO_KNOWLEDGE, database_url=database_url)
    app = await make_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield Served(f"http://127.0.0.1:{port}", database_url, app[PIPELINE_KEY])
    await runner.cleanup()


async def chat(base: str, raw: bytes) -> tuple[int, str]:
    """POST raw bytes to /api/chat."""
    async with aiohttp.ClientSession() as http:
        headers = {"Content-Type": "application/json"}
        async with http.post(f"{base}/api/chat", data=raw, headers=headers) as resp:
            return resp.status, await resp.text()


async def rows(url: str, query: str) -> int:
    """One count from the database."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(query))).scalar_one())
    finally:
        await engine.dispose()


# 1. A poison message never stops the inquiry log -------------------------------------------


async def test_lone_surrogates_and_nul_are_answered_and_stored(served: Served) -> None:
    for raw in (
        b'{"user_id": "a", "text": "x\\ud800"}',
        b'{"user_id": "b", "text": "l\\u1eadp htx c\\u1ea7n m\\u1ea5y ng\\u01b0\\u1eddi\\u0000"}',
        b'{"user_id": "\\udfff", "text": "xin ch\\u00e0o"}',
    ):
        status, body = await chat(served.base, raw)
        assert status == 200 and json.loads(body)["replies"]
    await served.pipeline.core.inquiries.close()
    assert await rows(served.db, "SELECT count(*) FROM inquiry") == 3


async def test_a_poison_record_among_1000_is_quarantined(database_url: str) -> None:
    """Past the edge's sanitising, a record the database refuses is split out of its batch
    and quarantined; the 999 others are stored and nobody waits on it."""
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    log = SqlInquiryLog(engine)
    poison = "x\x00y\ud800" if database_url.startswith("postgresql") else "x\ud800"
    records = [InquiryRecord("web", f"u{i}", "faq", f"câu {i}") for i in range(1000)]
    records[500] = InquiryRecord("web", "bad", "faq", poison)
    await asyncio.gather(*(log.record(r) for r in records))
    await log.close()
    assert await rows(database_url, "SELECT count(*) FROM inquiry") == 999
    (kept,) = await SqlQuarantineStore(engine).recent()
    assert kept.source == "inquiry" and kept.user_key == "bad" and "\\ud800" in kept.data
    await log.record(InquiryRecord("web", "after", "faq", "vẫn lưu được"))
    await log.close()
    assert await rows(database_url, "SELECT count(*) FROM inquiry") == 1000
    await engine.dispose()


# 4. A body in several segments, or chunked -----------------------------------------------


async def test_json_in_several_segments_and_chunked(served: Served) -> None:
    body = json.dumps({"user_id": "seg", "text": "lập htx cần mấy người"}).encode()
    host, port = served.base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST /api/chat HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    writer.write(head + body[:9])
    await writer.drain()
    await asyncio.sleep(0.05)  # a gap between TCP segments, not an assertion
    writer.write(body[9:])
    await writer.drain()
    response = await reader.read()
    writer.close()
    assert response.startswith(b"HTTP/1.1 200") and "05 thành viên".encode() in response

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 7):
            yield body[i : i + 7]

    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{served.base}/api/chat", data=chunks()) as resp,
    ):
        assert resp.status == 200 and "05 thành viên" in await resp.text()


# 7. Malformed input gets a 4xx or a polite reply, never a 500 ----------------------------


async def test_hostile_bodies_get_4xx_not_500(served: Served) -> None:
    bodies = [
        b"[" * 30_000 + b"]" * 30_000,
        b'{"user_id": "a", "text": "' + b"9" * 50_000 + b'"}',
        b'{"user_id": "a", "text": 1' + b"0" * 50_000 + b"}",
        b'{"user_id": "a", "payload": "' + "đ".encode() * 40 + b'"}',
        b"\xff\xfe not utf-8",
        b"null",
    ]
    for raw in bodies:
        status, _ = await chat(served.base, raw)
        assert status in (200, 400, 413), raw[:30]


async def test_a_309_digit_answer_is_a_polite_reply(served: Served) -> None:
    await chat(served.base, b'{"user_id": "n", "text": "/kiemtra"}')
    status, body = await chat(served.base, b'{"user_id": "n", "text": "' + b"9" * 309 + b'"}')
    assert status == 200 and "lớn quá" in body


# 3. Sign-in: parallel attempts are throttled; argon2 runs off the event loop ------------


async def test_parallel_wrong_passwords_are_throttled(served: Served) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{served.base}/admin/login") as resp:
            token = resp.cookies["coopbot_login"].value

        async def attempt() -> int:
            form = {"name": "an", "password": "sai-mat-khau-1", "csrf": token}
            cookies = {"coopbot_login": token}
            async with (
                aiohttp.ClientSession(cookies=cookies) as one,
                one.post(f"{served.base}/admin/login", data=form, allow_redirects=False) as resp,
            ):
                return resp.status

        statuses = await asyncio.gather(*(attempt() for _ in range(60)))
    assert statuses.count(401) <= 5 and statuses.count(429) >= 55


async def test_password_hashing_runs_in_a_worker_thread(database_url: str) -> None:
    seen: list[bool] = []

    class SpyHasher(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            seen.append(threading.current_thread() is threading.main_thread())
            return super().hash(password, salt=salt)

        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            seen.append(threading.current_thread() is threading.main_thread())
            return super().verify(hash, password)

    await upgrade_async(database_url)
    engine = make_engine(database_url)
    accounts = Accounts(engine, hasher=SpyHasher())
    seen.clear()  # the dummy hash made at construction
    await accounts.create_user("an", Role.ADMIN, "mat-khau-dai-123")
    assert await accounts.authenticate("an", "mat-khau-dai-123") is not None
    assert await accounts.authenticate("ai", "mat-khau-dai-123") is None
    assert len(seen) == 3 and not any(seen)  # never on the event loop's thread
    await engine.dispose()


# 10. CSV exports: security headers and the formula guard --------------------------------


def test_formula_guard_sees_through_spaces_and_invisible_characters() -> None:
    for value in ("=1+1", " =1+1", "\n=cmd", "＝HYPERLINK()", "\u200b=1", "\ufeff+1", "\t@x"):
        assert str(csv_cell(value)).startswith("'"), value
    for value in ("lập htx", "5 người", "", "a=b"):
        assert csv_cell(value) == value
