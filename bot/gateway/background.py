"""Work the gateway starts and does not wait for (a late WeChat answer, a taken-over turn): kept
referenced until done, its failure logged, and waited for or cancelled when the gateway stops."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Set

log = logging.getLogger(__name__)


class Background:
    def __init__(self, what: str) -> None:
        self.what = what  # for the log: "WeChat delivery", "a taken-over turn"
        self._tasks: Set["asyncio.Future[None]"] = set()

    def spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    async def stop(self, timeout: float = 0.0) -> None:
        """Wait up to `timeout` seconds for what is running, then cancel the rest."""
        if not self._tasks:
            return
        pending = set(self._tasks)
        if timeout > 0:
            _, pending = await asyncio.wait(pending, timeout=timeout)
        for task in pending:
            task.cancel()

    def _finished(self, task: "asyncio.Future[None]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", self.what, exc_info=task.exception())
