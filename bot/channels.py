"""Mounting a webhook channel on the server: its route, and its start/stop tied to the app's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from aiohttp import web


class WebhookChannel(Protocol):
    """What a channel with a webhook offers the server."""

    async def webhook(self, request: web.Request) -> web.Response:
        """Handle one webhook POST."""

    async def start(self) -> None:
        """Begin (sessions, registrations, background work)."""

    async def stop(self) -> None:
        """Finish queued work and release everything."""


def mount(app: web.Application, path: str, channel: WebhookChannel) -> None:
    """POST ``path`` goes to the channel; the channel runs while the server does."""
    app.router.add_post(path, channel.webhook)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await channel.start()
        yield
        await channel.stop()

    app.cleanup_ctx.append(lifecycle)
