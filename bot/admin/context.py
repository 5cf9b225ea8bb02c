"""The staff web's services and their app key (imported by every page module)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from coopbot.admin.accounts import Accounts
from coopbot.admin.dashboard import Dashboard
from coopbot.admin.history import History
from coopbot.admin.review import ReviewQueue
from coopbot.admin.throttle import SignInThrottle
from coopbot.broadcast.service import Broadcasts
from coopbot.core import Core
from coopbot.storage.curation import CurationStore
from coopbot.storage.quarantine import QuarantineStore, SqlQuarantineStore
from coopbot.text.normalize import fold

log = logging.getLogger(__name__)
SYNC_SECONDS = 30.0  # how soon another worker's attached phrasing reaches this one


@dataclass
class Admin:
    """Everything the staff pages use."""

    core: Core
    accounts: Accounts
    dashboard: Dashboard
    review: ReviewQueue
    curation: CurationStore
    history: History
    broadcasts: Broadcasts
    throttle: SignInThrottle
    quarantine: QuarantineStore
    seen: tuple[int, int] = (-1, -1)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def build(cls, core: Core, engine: AsyncEngine) -> Admin:
        """Services over one engine."""

        def chatter(text: str) -> bool:
            """Greetings, thanks or a command, by the small-talk rules answering now."""
            return text.lstrip().startswith("/") or core.router.smalltalk.intent(text) is not None

        return cls(
            core,
            Accounts(engine),
            Dashboard(engine),
            ReviewQueue(engine, chatter),
            CurationStore(engine),
            History(engine),
            Broadcasts(engine),
            SignInThrottle(engine),
            SqlQuarantineStore(engine),
        )

    async def refresh_phrasings(self) -> None:
        """Rebuild the core's index with every attached phrasing (one rebuild at a time); one
        merged into knowledge/ is added only until the running base holds it (a restart)."""
        async with self.lock:
            version = await self.curation.version()
            base = self.core.live.base_kb
            extra: dict[str, list[str]] = defaultdict(list)
            for p in await self.curation.phrasings():
                entry = base.entry(p.entry_id)
                held = entry is not None and fold(p.text) in {fold(q) for q in entry.questions}
                if p.merged_at is None or not held:
                    extra[p.entry_id].append(p.text)
            await self.core.apply_phrasings(extra)
            self.seen = version

    async def sync_once(self) -> bool:
        """Rebuild if another worker added or removed a phrasing; True when it did."""
        if await self.curation.version() == self.seen:
            return False
        await self.refresh_phrasings()
        return True

    async def sync_forever(self, every: float = SYNC_SECONDS) -> None:
        """Pick up phrasings other workers attached; never dies on a database hiccup."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.sync_once()
            except Exception:  # the database may be briefly away; try again next round
                log.exception("phrasing sync failed")


ADMIN_KEY = web.AppKey("admin", Admin)
