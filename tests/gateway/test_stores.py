"""The gateway's shared store on a Redis of its own that is restarted (it keeps nothing on disk):
the requests after the restart succeed on fresh connections instead of failing once per pooled
connection; the inbox list (handoff replies to the web chat) keeps order and is taken once."""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest
import redis

from bot.gateway.stores import MemoryStore, RedisStore, Store
from tests.conftest import free_port


def redis_server(port: int) -> subprocess.Popen:
    process = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port).ping()
            return process
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_requests_after_a_redis_restart_succeed() -> None:
    port = free_port()
    server = redis_server(port)

    async def run() -> None:
        nonlocal server
        store = RedisStore(f"redis://127.0.0.1:{port}/0")
        await asyncio.gather(*[store.set(f"k{i}", "v") for i in range(8)])  # several pooled connections
        server.terminate()
        server.wait()
        server = redis_server(port)
        assert await asyncio.gather(*[store.get(f"k{i}") for i in range(8)]) == [None] * 8  # gone, but no error
        assert await store.claim("dedupe", 60) and not await store.claim("dedupe", 60)
        await store.close()

    try:
        asyncio.run(run())
    finally:
        server.terminate()
        server.wait()


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_an_inbox_keeps_order_and_is_taken_once(kind: str) -> None:
    async def run() -> None:
        store: Store = MemoryStore() if kind == "memory" else RedisStore("redis://127.0.0.1:6379/14", f"test-inbox-{free_port()}:")
        try:
            for text in ("一", "二", "三"):
                await store.append("web:inbox:s", text, 60)
            assert await store.drain("web:inbox:s") == ["一", "二", "三"]
            assert await store.drain("web:inbox:s") == []
        finally:
            await store.delete("web:inbox:s")
            await store.close()

    asyncio.run(run())
