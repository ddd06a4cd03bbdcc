"""One push worker inside the gateway process, for the embedded default (no Redis): it shares the
gateway's in-process store. `python -m bot.gateway` runs one unless PUSH_IN_GATEWAY=off; with Redis,
workers are processes of their own (`python -m push`)."""
from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator, Dict, Optional, Tuple

from bot.gateway.stores import Store
from push.app import open_worker, refresh_gauges
from push.config import PushSettings
from push.worker import Worker
from runtime.health import Probe, database_probe
from runtime.metrics import PUSH, Registry


class EmbeddedWorker:
    """A companion of the gateway app (bot/app.py): started and stopped with it, its metrics and
    database check served beside the gateway's."""

    def __init__(self, settings: PushSettings) -> None:
        self.settings = settings
        self.worker: Optional[Worker] = None  # once started

    @contextlib.asynccontextmanager
    async def running(self, store: Store) -> AsyncIterator[None]:
        async with open_worker(self.settings, store=store) as worker:
            task = asyncio.create_task(worker.run())
            self.worker = worker
            try:
                yield
            finally:
                worker.stop()
                await task

    async def registries(self) -> Tuple[Registry, ...]:
        if self.worker is None:
            return ()
        await refresh_gauges(self.worker)
        return (PUSH,)

    def probes(self) -> Dict[str, Probe]:
        if self.worker is None:
            return {}
        return {"database": database_probe(self.worker.book.engine, self.worker.db)}
