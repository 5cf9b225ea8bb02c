"""``coopbot serve`` with JSON logs at DEBUG: no message text and no raw user id in any line."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path

import aiohttp

SECRET_TEXT = "bí mật của nông dân Zyxwvu"
USER_ID = "9876543210987654321"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_logs_hold_no_user_text_or_ids(tmp_path: Path) -> None:
    port = _port()
    env = {
        **os.environ,
        "COOPBOT_PORT": str(port),
        "COOPBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'l.db'}",
        "COOPBOT_LOG_FORMAT": "json",
        "COOPBOT_LOG_LEVEL": "DEBUG",
    }
    log = (tmp_path / "serve.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=env, stderr=log, stdout=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"{base}/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            for text in (SECRET_TEXT, "/kiemtra", "7", "/xoadulieu"):
                body = {"user_id": USER_ID, "text": text}
                async with http.post(f"{base}/api/chat", json=body) as resp:
                    assert resp.status == 200
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 20)
        log.close()
    lines = (tmp_path / "serve.log").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records and any(r["logger"] == "aiohttp.access" for r in records)
    joined = "\n".join(lines)
    assert SECRET_TEXT not in joined and "Zyxwvu" not in joined and USER_ID not in joined
