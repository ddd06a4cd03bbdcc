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


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_a_claim_holds_its_value_and_swap_replaces_only_what_was_expected(kind: str) -> None:
    async def run() -> None:
        store: Store = MemoryStore() if kind == "memory" else RedisStore("redis://127.0.0.1:6379/14", f"test-swap-{free_port()}:")
        try:
            assert await store.claim("turn", 0.6, "held a")
            assert not await store.claim("turn", 60, "held b")
            assert await store.get("turn") == "held a"
            assert not await store.swap("turn", "held b", "held c")  # not what it holds: unchanged
            assert not await store.swap("absent", "held a", "held c")
            assert await store.get("absent") is None
            # two takers expecting the same holder: one wins
            won = await asyncio.gather(store.swap("turn", "held a", "held b"), store.swap("turn", "held a", "held c"))
            assert sorted(won) == [False, True]
            assert await store.get("turn") in ("held b", "held c")
            await asyncio.sleep(0.8)  # the claim's expiry was kept through the swap
            assert await store.get("turn") is None
        finally:
            await store.delete("turn")
            await store.close()

    asyncio.run(run())


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_a_token_bucket_allows_its_burst_then_one_per_refill(kind: str) -> None:
    async def run() -> None:
        prefix = f"test-bucket-{free_port()}:"
        store: Store = MemoryStore() if kind == "memory" else RedisStore("redis://127.0.0.1:6379/14", prefix)
        try:
            assert [await store.take_token("b", 3, 10.0) for _ in range(3)] == [0.0, 0.0, 0.0]
            wait = await store.take_token("b", 3, 10.0)
            assert 0.05 < wait <= 0.1
            assert 0 < await store.take_token("b", 3, 10.0) <= wait  # a refused request takes nothing
            assert await store.take_token("other", 3, 10.0) == 0.0
            await asyncio.sleep(wait + 0.02)
            assert await store.take_token("b", 3, 10.0) == 0.0
            if kind == "redis":  # gone once it would be full again
                assert 0 < redis.Redis.from_url("redis://127.0.0.1:6379/14").pttl(f"{prefix}b") <= 1400
        finally:
            await store.delete("b")
            await store.delete("other")
            await store.close()

    asyncio.run(run())
