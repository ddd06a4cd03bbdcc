"""nlu/server/lock_store.py on the real Redis: a conversation's turns are served one at a time in the order
they came, across replicas (each replica its own store), a ticket left by a dead replica expires,
the keys go once nothing waits, and Rasa builds the store from an endpoints file's settings."""
from __future__ import annotations

import asyncio
import os
import secrets
import time
from typing import Iterator, List, Tuple
from urllib.parse import urlsplit

import pytest
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from nlu.server.lock_store import AtomicRedisLockStore

REDIS = urlsplit(os.environ.get("TEST_REDIS_URL_LOCKS", "redis://127.0.0.1:6379/12"))


@pytest.fixture
def replicas() -> Iterator[Tuple[AtomicRedisLockStore, AtomicRedisLockStore]]:
    """Two replicas' lock stores on one Redis, under a key prefix of this test's own."""
    prefix = f"locktest{secrets.token_hex(4)}"
    stores = tuple(AtomicRedisLockStore(host=REDIS.hostname, port=REDIS.port, db=int(REDIS.path.strip("/")), key_prefix=prefix)
                   for _ in range(2))
    yield stores  # type: ignore[misc]
    for key in stores[0].red.scan_iter(match=f"{prefix}:*"):
        stores[0].red.delete(key)


def keys_left(store: AtomicRedisLockStore, conversation: str) -> List[str]:
    return [k for k in store.keys_of(conversation) if store.red.exists(k)]


def test_a_turn_takes_the_lock_at_once_and_leaves_nothing_behind(replicas: Tuple[AtomicRedisLockStore, ...]) -> None:
    store = replicas[0]

    async def turn() -> List[int]:
        async with store.lock("grad-1"):
            return [store.red.pttl(key) for key in keys_left(store, "grad-1")]
    expiries = asyncio.run(turn())
    assert len(expiries) == 3 and all(60_000 < ms <= 70_000 for ms in expiries)  # lifetime 60 s + 10 s
    assert keys_left(store, "grad-1") == []


def test_turns_of_one_conversation_on_two_replicas_run_one_at_a_time_in_order(replicas: Tuple[AtomicRedisLockStore, ...]) -> None:
    log: List[Tuple[str, int]] = []

    async def turn(store: AtomicRedisLockStore, n: int, delay: float) -> None:
        await asyncio.sleep(delay)  # issued in this order
        async with store.lock("grad-2"):
            log.append(("in", n))
            await asyncio.sleep(0.05)
            log.append(("out", n))

    async def both() -> None:
        await asyncio.gather(*(turn(replicas[n % 2], n, n * 0.01) for n in range(6)))
    asyncio.run(both())
    assert log == [(step, n) for n in range(6) for step in ("in", "out")]
    assert keys_left(replicas[0], "grad-2") == []


def test_many_turns_at_the_same_moment_never_overlap(replicas: Tuple[AtomicRedisLockStore, ...]) -> None:
    """Issued concurrently from two replicas (Rasa's own store can hand out one number twice)."""
    inside = 0
    most = 0

    async def turn(store: AtomicRedisLockStore) -> None:
        nonlocal inside, most
        async with store.lock("grad-3"):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0)
            inside -= 1

    async def crowd() -> None:
        await asyncio.gather(*(turn(replicas[n % 2]) for n in range(40)))
    asyncio.run(crowd())
    assert most == 1 and keys_left(replicas[0], "grad-3") == []


def test_a_ticket_left_by_a_dead_replica_delays_the_next_turn_only_until_it_expires(replicas: Tuple[AtomicRedisLockStore, ...]) -> None:
    dead, alive = replicas
    dead._issue(keys=dead.keys_of("grad-4"), args=[400, 10_000])  # issued, never released

    async def turn() -> float:
        started = time.monotonic()
        async with alive.lock("grad-4", lock_lifetime=5):
            return time.monotonic() - started
    waited = asyncio.run(turn())
    assert 0.3 <= waited < 2.0
    assert keys_left(alive, "grad-4") == []


def test_a_turn_whose_ticket_expires_while_waiting_fails_with_rasas_lock_error(replicas: Tuple[AtomicRedisLockStore, ...]) -> None:
    first, second = replicas

    async def scenario() -> None:
        async with first.lock("grad-5", lock_lifetime=5):
            with pytest.raises(LockError, match="expired while waiting"):
                async with second.lock("grad-5", lock_lifetime=0.2):
                    pass  # pragma: no cover - never served
    asyncio.run(scenario())
    assert keys_left(first, "grad-5") == []


def test_rasa_builds_it_from_the_endpoints_file_settings() -> None:
    config = EndpointConfig(url=REDIS.hostname, port=REDIS.port, db=int(REDIS.path.strip("/")), key_prefix="rasa",
                            type="nlu.server.lock_store.AtomicRedisLockStore")
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore) and store.keys_of("x")[0] == "rasa:lock:x:q"
    with pytest.raises(NotImplementedError):
        store.get_lock("x")
