"""Wiring: a Worker with its database, queue, stores, limits and senders, from PushSettings.

With REDIS_URL: the stream queue, the gateway's Store in Redis (PUSH_STORE_PREFIX, `gw:` like the
gateway) for inactive chats, WeChat's 48 h window and access token, and the shared limits under
PUSH_KEY_PREFIX. Without: everything in this process; then the worker cannot see what the
gateway (another process) knows about users, unless it is given the gateway's store."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator, Dict, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.gateway.stores import MemoryStore, RedisStore, Store
from db.tables import broadcasts
from handoff.store import HandoffStore
from ledger.store import Ledger
from notices.store import NoticeStore
from push.book import Book
from push.config import PushSettings
from push.limits import MemorySlots, RedisSlots, TemplateQuota
from push.queue import MemoryQueue, RedisStreamQueue, consumer_name
from push.replies import ReplyCourier
from push.telegram import TelegramSender
from push.wechat import WeChatSender
from push.worker import QUEUES, Worker
from runtime.health import Listener, MetricsListener, Probe, check, database_probe
from runtime.metrics import PUSH, PUSH_BROADCASTS_RUNNING, PUSH_QUEUE_DEPTH, render

log = logging.getLogger(__name__)
GAUGE_TIMEOUT = 2.0


@contextlib.asynccontextmanager
async def open_worker(settings: PushSettings, store: Optional[Store] = None) -> AsyncIterator[Worker]:
    timing = settings.timing
    ledger = Ledger.open(settings.ledger)
    hold = timing.http_timeout + 1.0
    redis = None
    name = consumer_name()
    own_store = store is None
    if settings.redis_url:
        from redis import asyncio as aioredis

        redis = aioredis.from_url(settings.redis_url, decode_responses=True, socket_timeout=5.0, socket_connect_timeout=5.0)
        queue = RedisStreamQueue(settings.redis_url, settings.key_prefix, timing.claim_idle, name)
        store = store or RedisStore(settings.redis_url, settings.store_prefix)
        own: Store = RedisStore(settings.redis_url, settings.key_prefix)
        slots = RedisSlots(redis, settings.key_prefix, hold=hold)
        quota = TemplateQuota(settings.template_daily_quota, redis, settings.store_prefix)
    else:
        queue, own, slots = MemoryQueue(), MemoryStore(), MemorySlots(hold=hold)  # type: ignore[assignment]
        store = store or MemoryStore()
        quota = TemplateQuota(settings.template_daily_quota)
    telegram = TelegramSender(settings.telegram, timing.http_timeout) if settings.telegram else None
    wechat = (WeChatSender(settings.wechat, store, quota, settings.template_id, timing.http_timeout)
              if settings.wechat else None)
    worker = Worker(Book(ledger.engine), NoticeStore(ledger.engine), queue, store, own, slots, timing,
                    telegram, wechat, name)
    worker.courier = ReplyCourier(HandoffStore(ledger.engine, ledger.cipher), store, slots, worker.db,
                                  timing.sending_timeout, telegram, wechat)
    try:
        yield worker
    finally:
        for closing in (telegram, wechat, queue, own, store if own_store else None):
            if closing is not None:
                with contextlib.suppress(Exception):
                    await closing.close()
        if redis is not None:
            await redis.close()
        ledger.close()


# ---- health and metrics (docs/observability.md)

def health_probes(worker: Worker, redis_url: Optional[str]) -> Dict[str, Probe]:
    """The worker's dependencies: its database, and Redis when the queue lives there."""
    probes: Dict[str, Probe] = {"database": database_probe(worker.book.engine, worker.db)}
    if redis_url:
        probes["redis"] = lambda: worker.queue.depth("tg")  # any round trip to the queue's Redis
    return probes


def running_broadcasts(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(broadcasts)
                                .where(broadcasts.c.status == "running")).scalar() or 0)


async def refresh_gauges(worker: Worker) -> None:
    """Queue depth per queue and running broadcasts, read when metrics are scraped; a dependency
    that does not answer leaves its gauge at the last value read (its /health says it is down)."""
    try:
        for name in QUEUES:
            PUSH_QUEUE_DEPTH.set(await asyncio.wait_for(worker.queue.depth(name), GAUGE_TIMEOUT), name)
        PUSH_BROADCASTS_RUNNING.set(await asyncio.wait_for(worker.db(running_broadcasts, worker.book.engine), GAUGE_TIMEOUT))
    except Exception as error:  # Redis or the database away: the scrape still answers
        log.warning("push metrics: gauges not refreshed (%s)", type(error).__name__)


def metrics_listener(listener: Listener, worker: Worker, redis_url: Optional[str]) -> MetricsListener:
    """The push worker's own /metrics and /health (PUSH_METRICS_PORT)."""

    async def metrics() -> str:
        await refresh_gauges(worker)
        return render(PUSH)

    async def health() -> Tuple[int, Dict[str, str]]:
        return await check(health_probes(worker, redis_url))

    return MetricsListener(listener, metrics, health)

