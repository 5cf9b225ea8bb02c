"""A tiny driver for conversations through Core.handle."""

from __future__ import annotations

from coopbot.core import Core
from coopbot.messages import IncomingMessage, Reply, UserKey


class Chat:
    """One user talking to a core; keeps the last replies."""

    def __init__(self, core: Core, user_id: str = "1234567890123456789", channel: str = "web"):
        self.core = core
        self.user = UserKey(channel, user_id)
        self.last: list[Reply] = []

    async def say(self, text: str) -> list[Reply]:
        """Send text."""
        self.last = await self.core.handle(IncomingMessage(self.user, text=text))
        return self.last

    async def press(self, payload: str) -> list[Reply]:
        """Press a button."""
        msg = IncomingMessage(self.user, payload=payload, kind="payload")
        self.last = await self.core.handle(msg)
        return self.last

    @property
    def text(self) -> str:
        """All reply texts joined."""
        return "\n".join(r.text for r in self.last)

    def button(self, label: str) -> str:
        """The payload of the button with this label on the last replies."""
        for reply in self.last:
            for b in reply.buttons:
                if b.label == label:
                    return b.payload
        raise AssertionError(
            f"no button {label!r} in {[b.label for r in self.last for b in r.buttons]}"
        )

    async def stored(self) -> dict | None:  # type: ignore[type-arg]
        """The questionnaire state stored for this user, if any."""
        from coopbot.core import pseudonym

        found = await self.core.dialogs.get(pseudonym(self.user, self.core.pseudonym_key))
        return found.data if found else None
