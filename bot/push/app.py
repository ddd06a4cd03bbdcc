"""Wiring: a Worker with its database, queue, stores, limits and senders, from PushSettings.

With REDIS_URL: the stream queue, the gateway's Store in Redis (PUSH_STORE_PREFIX, `gw:` like the
gateway) for inactive chats, WeChat's 48 h window and access token, and the shared limits under
PUSH_KEY_PREFIX. Without: everything in this process; then the worker cannot see what the
gateway (another process) knows about users, unless it is given the gateway's store."""
from __future__ import annotations

import contextlib
from typing import AsyncIterator, Optional

from bot.gateway.stores import MemoryStore, RedisStore, Store
from bot.push.book import Book
from bot.push.config import PushSettings
from bot.push.limits import MemorySlots, RedisSlots, TemplateQuota
from bot.push.queue import MemoryQueue, RedisStreamQueue, consumer_name
from bot.push.telegram import TelegramSender
from bot.push.wechat import WeChatSender
from bot.push.worker import Worker
from ledger.store import Ledger
from notices.store import NoticeStore


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
