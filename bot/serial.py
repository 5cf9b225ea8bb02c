"""Run jobs one at a time per key (a chat), concurrently across keys; every task is owned."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
Job = Callable[[], Awaitable[None]]


class KeyedSerialRunner:
    """One worker task per busy key drains that key's queue in arrival order, then exits."""

    def __init__(self, max_pending_per_key: int = 100) -> None:
        self._queues: dict[str, asyncio.Queue[Job]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._max = max_pending_per_key
        self._closed = False

    def submit(self, key: str, job: Job) -> bool:
        """Queue a job; False when the key's queue is full or the runner is closed."""
        if self._closed:
            return False
        queue = self._queues.setdefault(key, asyncio.Queue(self._max))
        try:
            queue.put_nowait(job)
        except asyncio.QueueFull:
            log.warning("dropping a job: too many pending for one chat")
            return False
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._drain(key), name=f"serial:{key}")
        return True

    async def _drain(self, key: str) -> None:
        """Run the key's jobs until its queue is empty."""
        queue = self._queues[key]
        try:
            while not queue.empty():
                job = queue.get_nowait()
                try:
                    await job()
                except Exception:  # one failing job must not stop the chat's later jobs
                    log.exception("job for a chat failed")
        finally:
            self._workers.pop(key, None)
            if queue.empty():
                self._queues.pop(key, None)

    async def join(self) -> None:
        """Wait until every queued job has run."""
        while self._workers:
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    async def close(self, grace: float = 10.0) -> None:
        """Stop taking jobs, let queued ones finish (bounded), cancel the rest."""
        self._closed = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.join(), grace)
        for task in list(self._workers.values()):
            task.cancel()
        await asyncio.gather(*list(self._workers.values()), return_exceptions=True)
