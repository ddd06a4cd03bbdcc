"""The journal of turns acknowledged but not answered yet (bot/gateway/journal.py), on the real
Redis: gateways are journals with holders of their own on one prefix; a gateway "dies" by never
renewing (or removing) its liveness key. The channels' use of it is tested in test_turns.py
(WeChat) and test_telegram.py (Telegram, gateway processes and the real Rasa)."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Tuple

import pytest
import redis

from bot.gateway.journal import MAX_TAKES, LocalJournal, RedisJournal, make_journal, sealer
from bot.gateway.stores import MemoryStore, RedisStore
from runtime.metrics import GATEWAY_TAKEOVERS

REDIS_URL = "redis://127.0.0.1:6379/14"
CLAIM = 3600.0
FAST: Dict[str, float] = {"alive_ttl": 0.5, "alive_every": 0.1, "sweep_every": 3600.0, "stale": 0.5}


class Replays:
    """What a journal's replayer was handed, in order."""

    def __init__(self) -> None:
        self.got: List[Tuple[str, str]] = []

    async def __call__(self, entry: str, payload: str) -> None:
        self.got.append((entry, payload))


def run(scenario: Callable[[Callable[[str], RedisJournal], str], Awaitable[None]]) -> None:
    """`scenario(journal_named, prefix)` on a prefix of its own, deleted after."""
    prefix = f"test-journal-{uuid.uuid4().hex[:8]}:"
    stores: List[RedisStore] = []

    def journal_named(holder: str) -> RedisJournal:
        stores.append(RedisStore(REDIS_URL, prefix))
        return RedisJournal(stores[-1], holder=holder, **FAST)

    async def main() -> None:
        try:
            await scenario(journal_named, prefix)
        finally:
            for store in stores:
                await store.close()
            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{prefix}*"):
                client.delete(key)
            client.close()

    asyncio.run(main())


def raw(prefix: str) -> Dict[str, Any]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        return {key[len(prefix):]: client.type(key) for key in client.scan_iter(f"{prefix}*")}
    finally:
        client.close()


def alive_for_a_while(prefix: str, holder: str, seconds: float) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.set(f"{prefix}alive:{holder}", "1", px=int(seconds * 1000))
    client.close()


def test_a_claimed_turn_is_written_down_once_and_a_duplicate_is_refused() -> None:
    async def scenario(journal_named: Callable[[str], RedisJournal], prefix: str) -> None:
        first, second = journal_named("gw-1"), journal_named("gw-2")
        assert await first.record("tg:1", "sealed-1", ("tg:update:1", CLAIM))
        assert not await second.record("tg:1", "sealed-1", ("tg:update:1", CLAIM))  # Telegram's resend elsewhere
        assert not await first.record("tg:1", "sealed-1", ("tg:update:1", CLAIM))  # … or here, in hand
        assert raw(prefix) == {"tg:update:1": "string", "journal:entry:tg:1": "hash",
                               "journal:by:gw-1": "zset", "journal:holders": "set"}
        await first.done("tg:1")
        assert raw(prefix) == {"tg:update:1": "string", "journal:holders": "set"}  # the claim stays for resends
        assert not await second.record("tg:1", "sealed-1", ("tg:update:1", CLAIM))

    run(scenario)


def test_a_record_whose_reply_was_lost_is_accepted_again_by_its_own_gateway() -> None:
    async def scenario(journal_named: Callable[[str], RedisJournal], prefix: str) -> None:
        first = journal_named("gw-1")
        assert await first.record("tg:7", "sealed", ("tg:update:7", CLAIM))
        first._in_hand.discard("tg:7")  # as if the reply never came: the caller answered 500
        assert await first.record("tg:7", "sealed", ("tg:update:7", CLAIM))  # Telegram's resend, same gateway
        assert not await journal_named("gw-2").record("tg:7", "sealed", ("tg:update:7", CLAIM))

    run(scenario)


def test_a_dead_gateways_entries_go_to_one_live_gateway_in_the_order_written() -> None:
    async def scenario(journal_named: Callable[[str], RedisJournal], prefix: str) -> None:
        dead, live, other = journal_named("gw-dead"), journal_named("gw-live"), journal_named("gw-other")
        alive_for_a_while(prefix, "gw-dead", FAST["alive_ttl"])  # its last renewal; then it dies
        for number in (3, 1, 2):
            assert await dead.record(f"tg:{number}", f"sealed-{number}", (f"tg:update:{number}", CLAIM))
            await asyncio.sleep(0.005)
        await dead.done("tg:1")  # answered before it died
        replays, others = Replays(), Replays()
        live.on_replay("tg", replays)
        other.on_replay("tg", others)
        await live.open()
        await other.open()
        assert await live.sweep_once() == [] and await other.sweep_once() == []  # its liveness still holds
        await asyncio.sleep(FAST["alive_ttl"] + 0.1)
        counted = GATEWAY_TAKEOVERS.value("tg", "taken")
        taken = await asyncio.gather(live.sweep_once(), other.sweep_once())
        assert sorted(taken, key=len) == [[], ["tg:3", "tg:2"]]  # of two sweepers one takes them all
        assert GATEWAY_TAKEOVERS.value("tg", "taken") == counted + 2  # gateway_journal_takeovers_total
        winner, handed = (live, replays) if taken[0] else (other, others)
        await asyncio.sleep(0)
        assert handed.got == [("tg:3", "sealed-3"), ("tg:2", "sealed-2")]
        assert winner.replayed("tg:3") and winner.replayed("tg:2") and not winner.replayed("tg:1")
        assert await live.sweep_once() == [] and await other.sweep_once() == []  # in the winner's hands now
        await winner.done("tg:3")
        await winner.done("tg:2")
        assert not winner.replayed("tg:3")
        await winner.sweep_once()  # a sweep forgets a holder with nothing written down
        assert set(raw(prefix)) == {"tg:update:1", "tg:update:2", "tg:update:3", "alive:gw-live", "alive:gw-other"}
        for journal in (live, other):
            await journal.close()
        assert "alive:gw-live" not in raw(prefix)  # closed: its entries are taken over at once

    run(scenario)


def test_a_turn_that_brings_down_every_gateway_is_dropped_after_three_takes() -> None:
    async def scenario(journal_named: Callable[[str], RedisJournal], prefix: str) -> None:
        assert await journal_named("gw-0").record("tg:9", "poison", ("tg:update:9", CLAIM))
        for number in range(1, MAX_TAKES + 1):
            taker = journal_named(f"gw-{number}")
            taker.on_replay("tg", Replays())
            assert await taker.sweep_once() == ["tg:9"]  # and then this one dies too
        last = journal_named("gw-last")
        last.on_replay("tg", Replays())
        dropped = GATEWAY_TAKEOVERS.value("tg", "dropped")
        assert await last.sweep_once() == []
        assert GATEWAY_TAKEOVERS.value("tg", "dropped") == dropped + 1
        assert not any(key.startswith("journal:") for key in raw(prefix))

    run(scenario)


def test_an_entry_of_its_own_it_does_not_have_in_hand_is_replayed_after_a_while() -> None:
    async def scenario(journal_named: Callable[[str], RedisJournal], prefix: str) -> None:
        journal = journal_named("gw-1")
        replays = Replays()
        journal.on_replay("wx", replays)
        await journal.open()
        assert await journal.record("wx:o1:msg:5", "sealed")
        await asyncio.sleep(FAST["stale"] + 0.1)
        assert await journal.sweep_once() == []  # in hand: being answered
        journal._in_hand.discard("wx:o1:msg:5")  # lost on the way (the reply to `record` never came)
        assert await journal.sweep_once() == ["wx:o1:msg:5"]
        await asyncio.sleep(0)
        assert replays.got == [("wx:o1:msg:5", "sealed")] and journal.replayed("wx:o1:msg:5")
        await journal.close()

    run(scenario)


def test_an_entry_of_a_channel_this_gateway_does_not_run_is_left_for_one_that_does() -> None:
    async def scenario(journal_named: Callable[[str], RedisJournal], prefix: str) -> None:
        dead = journal_named("gw-dead")
        assert await dead.record("wx:o1:msg:6", "sealed") and await dead.record("tg:6", "sealed", ("tg:update:6", CLAIM))
        telegram_only, both = journal_named("gw-telegram"), journal_named("gw-both")
        telegram_only.on_replay("tg", Replays())
        await telegram_only.open()
        assert await telegram_only.sweep_once() == ["tg:6"]
        assert await telegram_only.sweep_once() == []
        both.on_replay("tg", Replays())
        both.on_replay("wx", Replays())
        assert await both.sweep_once() == ["wx:o1:msg:6"]  # tg:6 is in a live gateway's hands
        await telegram_only.close()

    run(scenario)


def test_without_redis_the_journal_only_claims() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        journal = make_journal(store)
        assert isinstance(journal, LocalJournal)
        assert await journal.record("tg:1", "sealed", ("tg:update:1", CLAIM))
        assert not await journal.record("tg:1", "sealed", ("tg:update:1", CLAIM))
        assert await journal.record("wx:o1:msg:1", "sealed")  # nothing to claim: nothing kept either
        assert not journal.replayed("tg:1")

    asyncio.run(scenario())


def test_payloads_are_sealed_with_a_key_only_the_channels_secret_gives() -> None:
    sealed = sealer("telegram journal", "123:token").encrypt("我的电话 13912345678".encode())
    assert b"1391234" not in sealed
    assert sealer("telegram journal", "123:token").decrypt(sealed).decode() == "我的电话 13912345678"
    with pytest.raises(Exception):
        sealer("telegram journal", "456:another").decrypt(sealed)
    with pytest.raises(Exception):
        sealer("wechat journal", "123:token").decrypt(sealed)


def test_stopping_never_hangs_on_a_cancel_redis_swallows() -> None:
    """redis-py (4.6) can swallow a task's cancel that lands inside a command (seen here: 137 of
    300 in a tight loop), so the journal's loops stop on a flag as well: close() always returns."""
    async def scenario(journal_named: Callable[[str], RedisJournal], prefix: str) -> None:
        for number in range(40):
            journal = journal_named(f"gw-{number}")
            journal.alive_every = journal.sweep_every = 0.0  # always inside a Redis call
            journal.on_replay("tg", Replays())
            await journal.open()
            journal.sweep()
            await asyncio.sleep(0.002 * (number % 5))
            await asyncio.wait_for(journal.close(), 6.0)
            assert journal._tasks == {}

    run(scenario)
