"""Small shared state of the gateway: claims (dedupe of WeChat retries and who holds each push,
replayed nonces), the WeChat access token, the choices each graduate was last offered, inactive users, the web
chat's inbox of staff replies (handoff), the key its session ids are signed with, and the token
buckets of its rate limits (bot/gateway/limits.py).

With REDIS_URL, every gateway replica shares it through Redis (keys under `gw:`); without, it
lives in this process (the embedded default, one replica)."""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Protocol, Tuple


class Store(Protocol):
    async def claim(self, key: str, ttl: float, value: str = "1") -> bool:
        """True for the first caller only (until `ttl` seconds pass); the key then holds `value`."""

    async def swap(self, key: str, expected: str, value: str) -> bool:
        """Replace the value at `key` by `value` only while it is `expected` (its expiry stays);
        True when replaced. Atomic: of two callers expecting the same value, one wins."""

    async def get(self, key: str) -> Optional[str]:
        ...

    async def set(self, key: str, value: str, ttl: Optional[float] = None) -> None:
        ...

    async def delete(self, key: str) -> None:
        ...

    async def append(self, key: str, value: str, ttl: float) -> None:
        """Add to the end of the list at `key` (which lives `ttl` seconds after the last append)."""
        ...

    async def drain(self, key: str) -> List[str]:
        """Take the whole list at `key`, oldest first, leaving nothing."""
        ...

    async def take_token(self, key: str, capacity: int, per_second: float) -> float:
        """One token from the bucket at `key` (holding at most `capacity`, refilled at `per_second`;
        full when new): 0.0 when taken, else the seconds until one is there (nothing is taken)."""
        ...

    async def close(self) -> None:
        ...


class MemoryStore:
    def __init__(self) -> None:
        self._data: Dict[str, Tuple[str, Optional[float]]] = {}
        self._lists: Dict[str, Tuple[List[str], Optional[float]]] = {}
        self._buckets: Dict[str, Tuple[float, float, float]] = {}  # key → (tokens, at, full again at)

    def _live(self, key: str) -> Optional[str]:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        return value

    async def claim(self, key: str, ttl: float, value: str = "1") -> bool:
        if self._live(key) is not None:
            return False
        self._data[key] = (value, time.monotonic() + ttl)
        if len(self._data) > 100_000:
            self._sweep()
        return True

    async def swap(self, key: str, expected: str, value: str) -> bool:
        if self._live(key) != expected:
            return False
        self._data[key] = (value, self._data[key][1])
        return True

    async def get(self, key: str) -> Optional[str]:
        return self._live(key)

    async def set(self, key: str, value: str, ttl: Optional[float] = None) -> None:
        self._data[key] = (value, time.monotonic() + ttl if ttl else None)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)
        self._lists.pop(key, None)

    async def append(self, key: str, value: str, ttl: float) -> None:
        items = self._live_list(key)
        items.append(value)
        self._lists[key] = (items, time.monotonic() + ttl)

    async def drain(self, key: str) -> List[str]:
        items = self._live_list(key)
        self._lists.pop(key, None)
        return items

    async def take_token(self, key: str, capacity: int, per_second: float) -> float:
        now = time.monotonic()
        tokens, at, _ = self._buckets.get(key, (float(capacity), now, now))
        tokens, wait = _bucket(min(float(capacity), tokens + (now - at) * per_second), per_second)
        self._buckets[key] = (tokens, now, now + (capacity - tokens) / per_second)
        if len(self._buckets) > 100_000:
            for full in [k for k, (_, _, full_at) in self._buckets.items() if full_at <= now]:
                del self._buckets[full]  # a full bucket is what a new one is
        return wait

    async def close(self) -> None:
        self._data.clear()
        self._lists.clear()
        self._buckets.clear()

    def _live_list(self, key: str) -> List[str]:
        items, expires = self._lists.get(key, ([], None))
        if expires is not None and expires <= time.monotonic():
            self._lists.pop(key, None)
            return []
        return list(items)

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]:
            del self._data[key]


class RedisStore:
    def __init__(self, url: str, prefix: str = "gw:") -> None:
        from redis import asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError

        # after a Redis restart every pooled connection is dead: one immediate retry on a fresh
        # connection, instead of one failed request per pooled connection
        self._redis = aioredis.from_url(url, decode_responses=True, socket_timeout=2.0, socket_connect_timeout=2.0,
                                        retry=Retry(NoBackoff(), 1), retry_on_error=[RedisConnectionError])
        self._prefix = prefix
        self._swap = self._redis.register_script(_SWAP)
        self._take_token = self._redis.register_script(_TAKE_TOKEN)

    @property
    def redis(self) -> Any:
        """The client (for what needs Lua: bot/gateway/journal.py); keys under `prefix`."""
        return self._redis

    @property
    def prefix(self) -> str:
        return self._prefix

    async def claim(self, key: str, ttl: float, value: str = "1") -> bool:
        return bool(await self._redis.set(self._prefix + key, value, nx=True, px=int(ttl * 1000)))

    async def swap(self, key: str, expected: str, value: str) -> bool:
        return bool(await self._swap(keys=[self._prefix + key], args=[expected, value]))

    async def get(self, key: str) -> Optional[str]:
        value = await self._redis.get(self._prefix + key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str, ttl: Optional[float] = None) -> None:
        await self._redis.set(self._prefix + key, value, px=int(ttl * 1000) if ttl else None)

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def append(self, key: str, value: str, ttl: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.rpush(self._prefix + key, value).pexpire(self._prefix + key, int(ttl * 1000)).execute()

    async def drain(self, key: str) -> List[str]:
        async with self._redis.pipeline(transaction=True) as pipe:
            items, _ = await pipe.lrange(self._prefix + key, 0, -1).delete(self._prefix + key).execute()
        return [str(item) for item in items]

    async def take_token(self, key: str, capacity: int, per_second: float) -> float:
        return float(await self._take_token(keys=[self._prefix + key], args=[capacity, repr(per_second)]))

    async def close(self) -> None:
        await self._redis.close()


# compare-and-set keeping the key's expiry (KEEPTTL: Redis 6 or later)
_SWAP = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0
"""

# a token bucket on Redis's clock (every replica's requests drain the same bucket); the hash
# expires once the bucket would be full again, which is what a missing one is
_TAKE_TOKEN = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


def _bucket(tokens: float, per_second: float) -> Tuple[float, float]:
    """(tokens left, seconds to wait) after asking a bucket holding `tokens` for one."""
    if tokens >= 1:
        return tokens - 1, 0.0
    return tokens, (1 - tokens) / per_second


def make_store(redis_url: Optional[str], prefix: str = "gw:") -> Store:
    return RedisStore(redis_url, prefix) if redis_url else MemoryStore()
