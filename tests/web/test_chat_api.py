"""/api/chat, the chat page and /healthz over a real loopback server with a SQLite file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text as sql

from bot.server import make_app
from coopbot.config import REPO_KNOWLEDGE, load_settings
from coopbot.storage.db import make_engine


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """``coopbot serve`` on an ephemeral loopback port; yields (base URL, database URL)."""
    db = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    settings = load_settings(knowledge_dir=REPO_KNOWLEDGE, database_url=db)
    runner = web.AppRunner(await make_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", db
    await runner.cleanup()


async def _post(base: str, body: object, raw: bytes | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    async with aiohttp.ClientSession() as http:
        data = raw if raw is not None else json.dumps(body).encode()
        async with http.post(
            f"{base}/api/chat", data=data, headers={"Content-Type": "application/json"}
        ) as resp:
            return resp.status, await resp.json()


async def test_question_answer_and_button_press(server: tuple[str, str]) -> None:
    base, _ = server
    status, body = await _post(base, {"user_id": "u1", "text": "dang ky htx mat bao lau"})
    assert status == 200
    reply = body["replies"][0]
    assert set(reply) == {"text", "buttons"} and "Nguồn:" in reply["text"]
    pressed_kinds = set()
    for button in reply["buttons"]:
        kind = button["payload"].split(":")[0]
        if kind == "fb":
            continue
        status, pressed = await _post(base, {"user_id": "u1", "payload": button["payload"]})
        text = pressed["replies"][0]["text"]
        # an entry's answer ends with its sources; a cited article opens at its heading
        assert status == 200 and ("Nguồn:" in text if kind == "faq" else text.startswith("Điều "))
        pressed_kinds.add(kind)
    assert pressed_kinds == {"faq", "pg"}
    up = next(b["payload"] for b in reply["buttons"] if b["payload"].startswith("fb:+"))
    status, thanks = await _post(base, {"user_id": "u1", "payload": up})
    assert status == 200 and "Cảm ơn" in thanks["replies"][0]["text"]


async def test_bad_requests_get_clear_errors(server: tuple[str, str]) -> None:
    base, _ = server
    assert (await _post(base, None, raw=b"{not json"))[0] == 400
    assert (await _post(base, None, raw=b"\xff\xfe"))[0] == 400
    status, body = await _post(base, {"text": "xin chào"})
    assert status == 400 and "user_id" in body["error"]
    assert (await _post(base, ["a list"]))[0] == 400
    assert (await _post(base, {"user_id": "u", "text": 5}))[0] == 400
    assert (await _post(base, {"user_id": "u", "payload": "x" * 65}))[0] == 400
    status, _ = await _post(base, None, raw=b'{"user_id":"u","text":"' + b"a" * 70_000 + b'"}')
    assert status == 413


async def test_long_and_empty_messages_are_answered_not_refused(server: tuple[str, str]) -> None:
    base, _ = server
    status, body = await _post(base, {"user_id": "u", "text": "hợp tác xã " * 400})
    assert status == 200 and "dài quá" in body["replies"][0]["text"]
    status, body = await _post(base, {"user_id": "u", "text": ""})
    assert status == 200 and "chưa gõ" in body["replies"][0]["text"]


async def test_page_and_health(server: tuple[str, str]) -> None:
    base, _ = server
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/") as resp:
            html = await resp.text()
            assert resp.status == 200 and 'name="viewport"' in html and "/api/chat" in html
        async with http.get(f"{base}/healthz") as resp:
            assert resp.status == 200 and (await resp.json())["status"] == "ok"


async def test_inquiries_reach_the_database(server: tuple[str, str]) -> None:
    base, db = server
    await _post(base, {"user_id": "9876543210123456789", "text": "vốn góp tối đa bao nhiêu"})
    engine = make_engine(db)
    async with engine.connect() as conn:
        rows = (await conn.execute(sql("SELECT user_key, text, confident FROM inquiry"))).all()
    await engine.dispose()
    assert len(rows) == 1
    user_key, text, confident = rows[0]
    assert text == "vốn góp tối đa bao nhiêu" and confident
    assert "9876543210123456789" not in user_key


async def test_a_whole_questionnaire_by_buttons_over_http(server: tuple[str, str]) -> None:
    base, db = server
    status, body = await _post(base, {"user_id": "farmer", "text": "/vayquy"})
    assert status == 200 and "Câu 1/4" in body["replies"][-1]["text"]

    async def press(label: str) -> dict:  # type: ignore[type-arg]
        buttons = [b for r in body["replies"] for b in r["buttons"]]
        payload = next(b["payload"] for b in buttons if b["label"] == label)
        return (await _post(base, {"user_id": "farmer", "payload": payload}))[1]

    first = next(b["label"] for b in body["replies"][-1]["buttons"])
    body = await press(first)
    body = await press("Có")
    assert "Câu 3/4" in body["replies"][-1]["text"]
    body = (await _post(base, {"user_id": "farmer", "text": "25%"}))[1]
    body = await press("Không")
    text = "\n".join(r["text"] for r in body["replies"])
    assert "✅" in text and "Nguồn:" in text
    engine = make_engine(db)
    async with engine.connect() as conn:
        rows = (await conn.execute(sql("SELECT flow_id FROM assessment"))).all()
        states = (await conn.execute(sql("SELECT count(*) FROM dialog_state"))).scalar()
    await engine.dispose()
    assert rows == [("vay-quy-htx",)] and states == 0
