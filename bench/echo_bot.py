"""A minimal python-telegram-bot echo bot in webhook mode (aiohttp), the baseline for
bench/telegram_throughput.py. Usage: python bench/echo_bot.py PORT TOKEN BASE_URL"""

from __future__ import annotations

import asyncio
import json
import sys

from aiohttp import web
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the same text."""
    if update.message and update.message.text:
        await update.message.reply_text(update.message.text)


async def main(port: int, token: str, base_url: str) -> None:
    """Serve the webhook until killed."""
    app = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .updater(None)
        .request(HTTPXRequest(connection_pool_size=64))
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))

    async def webhook(request: web.Request) -> web.Response:
        await app.update_queue.put(Update.de_json(json.loads(await request.read()), app.bot))
        return web.Response(text="ok")

    server = web.Application()
    server.router.add_post("/webhooks/telegram", webhook)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with app:
        await app.start()
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
