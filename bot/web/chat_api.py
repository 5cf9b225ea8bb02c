"""The web channel: ``POST /api/chat``, the chat page at ``/``, ``/healthz`` and the icon."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from coopbot.inbound.pipeline import Pipeline
from coopbot.messages import IncomingMessage, Reply, UserKey
from coopbot.payloads import SEP, Vote
from coopbot.text.sanitize import clean_id

log = logging.getLogger(__name__)
PIPELINE_KEY = web.AppKey("pipeline", Pipeline)
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)
MAX_BODY = 64 * 1024
MAX_USER_ID = 128
STATIC = Path(__file__).parent / "static"
# favicon.svg is drawn by hand; favicon.ico holds it rendered at 16, 32 and 48 px (PNG entries)
ICONS = {
    "/favicon.ico": ("favicon.ico", "image/x-icon"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
}
ICON_CACHE = "public, max-age=86400"
# Strings of the chat page, from messages.vi.yaml
PAGE_TEXTS = (
    "web_title",
    "web_subtitle",
    "web_placeholder",
    "web_send",
    "web_history_note",
    "web_history_clear",
    "web_history_confirm",
    "web_offline",
    "web_error",
)
HISTORY_LIMIT = 50  # bubbles the page keeps in the browser's localStorage


def reply_json(reply: Reply) -> dict[str, Any]:
    """Neutral reply → the JSON contract."""
    return {
        "text": reply.text,
        "buttons": [{"label": b.label, "payload": b.payload} for b in reply.buttons],
    }


def _bad(reason: str, status: int = 400) -> web.Response:
    """A JSON error the client can show."""
    return web.json_response({"error": reason}, status=status)


def parse_chat(body: Any) -> IncomingMessage | str:
    """Validate the request body; a string is the reason it was refused."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    user_id = body.get("user_id")
    if not isinstance(user_id, str) or len(user_id) > MAX_USER_ID or not clean_id(user_id):
        return f"user_id must be a non-empty string of at most {MAX_USER_ID} characters"
    user = UserKey("web", clean_id(user_id))
    if "payload" in body and body["payload"] is not None:
        payload = body["payload"]
        if not isinstance(payload, str) or len(payload.encode("utf-8", "surrogatepass")) > 64:
            return "payload must be a string of at most 64 bytes"
        return IncomingMessage(user, payload=payload, kind="payload")
    text = body.get("text")
    if not isinstance(text, str):
        return "text must be a string (or send payload)"
    return IncomingMessage(user, text=text)


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """The whole body however it arrives (several segments, chunked), None past ``limit``."""
    if request.content_length is not None and request.content_length > limit:
        return None
    parts: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def parse_json(raw: bytes) -> Any:
    """JSON from bytes; ValueError for anything malformed, too deep or with a giant number."""
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


async def chat(request: web.Request) -> web.Response:
    """``{"user_id", "text"|"payload"}`` → ``{"replies": [...]}``; the reply is the ack."""
    raw = await read_body(request, MAX_BODY)
    if raw is None:
        return _bad("request body too large", 413)
    try:
        body = parse_json(raw)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return _bad("malformed JSON")
    msg = parse_chat(body)
    if isinstance(msg, str):
        return _bad(msg)
    replies = await request.app[PIPELINE_KEY].handle_now(msg)
    return web.json_response(
        {"replies": [reply_json(r) for r in replies]},
        dumps=lambda o: json.dumps(o, ensure_ascii=False),
    )


async def page(request: web.Request) -> web.Response:
    """The mobile-friendly chat page; it keeps the recent conversation in localStorage."""
    say = request.app[PIPELINE_KEY].core.kb.messages
    html = TEMPLATES.get_template("chat.html").render(
        t={key: say(key) for key in PAGE_TEXTS},
        vote_prefix=Vote.prefix + SEP,
        history_limit=HISTORY_LIMIT,
    )
    return web.Response(text=html, content_type="text/html")


def icon_handler(name: str, content_type: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler serving one icon file, read once."""
    body = (STATIC / name).read_bytes()

    async def icon(request: web.Request) -> web.Response:
        return web.Response(
            body=body, content_type=content_type, headers={"Cache-Control": ICON_CACHE}
        )

    return icon


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process serves requests."""
    return web.json_response({"status": "ok"})


def add_routes(app: web.Application, pipeline: Pipeline) -> None:
    """Mount the web channel on ``app``."""
    app[PIPELINE_KEY] = pipeline
    app.router.add_get("/", page)
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/healthz", healthz)
    for path, (name, content_type) in ICONS.items():
        app.router.add_get(path, icon_handler(name, content_type))
    app.router.add_static("/static", STATIC)
