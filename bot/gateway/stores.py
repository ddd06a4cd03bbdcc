"""Small shared state of the gateway: claims (dedupe of WeChat retries, replayed nonces), the
WeChat access token, the choices each graduate was last offered, inactive users.

With REDIS_URL, every gateway replica shares it through Redis (keys under `gw:`); without, it
lives in this process (the embedded default, one replica)."""
from __future__ import annotations

import time
from typing import Dict, Optional, Protocol, Tuple


class Store(Protocol):
    async def claim(self, key: str, ttl: float) -> bool:
        """True for the first caller only (until `ttl` seconds pass)."""

    async def get(self, key: str) -> Optional[str]:
        ...

    async def set(self, key: str, value: str, ttl: Optional[float] = None) -> None:
        ...

    async def delete(self, key: str) -> None:
        ...

    async def close(self) -> None:
        ...


class MemoryStore:
    def __init__(self) -> None:
        self._data: Dict[str, Tuple[str, Optional[float]]] = {}

    def _live(self, key: str) -> Optional[str]:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        return value

    async def claim(self, key: str, ttl: float) -> bool:
        if self._live(key) is not None:
            return False
        self._data[key] = ("1", time.monotonic() + ttl)
        if len(self._data) > 100_000:
            self._sweep()
        return True

    async def get(self, key: str) -> Optional[str]:
        return self._live(key)

    async def set(self, key: str, value: str, ttl: Optional[float] = None) -> None:
        self._data[key] = (value, time.monotonic() + ttl if ttl else None)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def close(self) -> None:
        self._data.clear()

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]:
            del self._data[key]


class RedisStore:
    def __init__(self, url: str, prefix: str = "gw:") -> None:
        from redis import asyncio as aioredis

        self._redis = aioredis.from_url(url, decode_responses=True, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._prefix = prefix

    async def claim(self, key: str, ttl: float) -> bool:
        return bool(await self._redis.set(self._prefix + key, "1", nx=True, px=int(ttl * 1000)))

    async def get(self, key: str) -> Optional[str]:
        value = await self._redis.get(self._prefix + key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str, ttl: Optional[float] = None) -> None:
        await self._redis.set(self._prefix + key, value, px=int(ttl * 1000) if ttl else None)

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def close(self) -> None:
        await self._redis.close()


def make_store(redis_url: Optional[str], prefix: str = "gw:") -> Store:
    return RedisStore(redis_url, prefix) if redis_url else MemoryStore()
