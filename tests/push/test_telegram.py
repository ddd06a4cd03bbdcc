"""Broadcasts to Telegram through a worker running in this process, against the Bot API stand-in,
on SQLite and on PostgreSQL: the embedded default (no Redis), blocked chats, flood control,
cancelling, retries, and recommendations counted in the ledger."""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import select

from bot.gateway.config import TelegramSettings
from db.tables import follow_ups, recipients
from ledger.model import Registration
from notices.model import Notice
from push.config import PushSettings
from tests.conftest import free_port
from tests.push.conftest import (TODAY, TOKEN, Bureau, Running, chats, fair, flood_violations, gateway_store,
                                 push_settings, received, wait_for)
from tests.standins.telegram import TelegramStandIn


def test_embedded_worker_without_redis_sends_each_subscriber_one_message(bureau: Bureau, telegram: TelegramStandIn) -> None:
    audience = chats(45)
    bureau.subscribe([f"tg:{c}" for c in audience])
    bureau.subscribe(["tg:elsewhere"], kind="job")  # another kind: not in the audience
    broadcast = bureau.broadcast()
    with Running(push_settings(bureau, telegram=telegram)):
        bureau.wait_status(broadcast, "done", 30)
    assert received(telegram) == {c: 1 for c in audience}
    assert bureau.counts(broadcast) == {"sent": 45}
    assert flood_violations(telegram) == []
    assert "回复“退订”" in telegram.messages(audience[0])[0].text


def test_a_chat_that_blocked_the_bot_is_marked_and_left_out_next_time(bureau: Bureau, telegram: TelegramStandIn,
                                                                      redis_prefix: str) -> None:
    audience = chats(8)
    blocked, marked_by_gateway = audience[0], audience[1]
    telegram.block(blocked)
    bureau.subscribe([f"tg:{c}" for c in audience])
    store = gateway_store(redis_prefix)
    asyncio.run(store.set(f"tg:inactive:{marked_by_gateway}", "1700000000.000"))  # the gateway got a 403 earlier
    first = bureau.broadcast()
    with Running(push_settings(bureau, redis_prefix, telegram=telegram)):
        bureau.wait_status(first, "done", 30)
        second = bureau.broadcast(fair(title="第二场招聘会"))
        bureau.wait_status(second, "done", 30)
    states = bureau.deliveries(first)
    assert states[f"tg:{blocked}"][:2] == ("blocked", 1)
    assert states[f"tg:{marked_by_gateway}"][:2] == ("blocked", 0)  # skipped without a call
    assert telegram.attempts(marked_by_gateway) == []
    assert asyncio.run(gateway_store(redis_prefix).get(f"tg:inactive:{blocked}")) is not None
    with bureau.ledger.engine.begin() as conn:
        marks = dict(conn.execute(select(recipients.c.identity, recipients.c.inactive)).all())
    # the 403 is recorded for good; the gateway's own mark stays the gateway's (it clears it when the user writes)
    assert marks == {f"tg:{blocked}": "blocked"}
    second_states = bureau.deliveries(second)
    assert f"tg:{blocked}" not in second_states and len(telegram.attempts(blocked)) == 1
    assert second_states[f"tg:{marked_by_gateway}"][:2] == ("blocked", 0)
    assert received(telegram) == {c: 2 for c in audience[2:]}


def test_retry_after_of_a_429_is_honoured_by_every_send(bureau: Bureau, telegram: TelegramStandIn, redis_prefix: str) -> None:
    audience = chats(40)
    flooded = audience[5]
    telegram.flood_once(flooded, 2)
    bureau.subscribe([f"tg:{c}" for c in audience])
    broadcast = bureau.broadcast()
    with Running(push_settings(bureau, redis_prefix, telegram=telegram)):
        bureau.wait_status(broadcast, "done", 40)
    refused, accepted = telegram.attempts(flooded)
    assert refused.status == 429 and accepted.status == 200
    assert accepted.at - refused.at >= 2.0
    # nothing at all went out while Telegram asked to wait (sends already on the way excepted)
    calls = [c.at for c in telegram.calls_of("sendMessage")]
    assert not [at for at in calls if refused.at + 0.2 < at < refused.at + 2.0]
    assert bureau.deliveries(broadcast)[f"tg:{flooded}"][:2] == ("sent", 1)  # flood control is no failed attempt
    assert received(telegram) == {c: 1 for c in audience}
    assert flood_violations(telegram) == []


def test_cancelling_mid_broadcast_stops_sending(bureau: Bureau, telegram: TelegramStandIn, redis_prefix: str) -> None:
    audience = chats(200)
    bureau.subscribe([f"tg:{c}" for c in audience])
    broadcast = bureau.broadcast()
    with Running(push_settings(bureau, redis_prefix, telegram=telegram)):
        wait_for(lambda: len(telegram.sent) >= 20, 30, "20 messages")
        skipped = bureau.notices.cancel(broadcast)
        time.sleep(1.0)  # sends already on their way may still land
        settled = len(telegram.sent)
        time.sleep(1.5)
        assert len(telegram.sent) == settled
    counts = bureau.counts(broadcast)
    assert skipped > 100 and counts.get("skipped") == skipped
    assert counts.get("sent") == settled and counts.get("sent", 0) + skipped == 200
    assert bureau.status(broadcast) == "cancelled"
    assert all(n == 1 for n in received(telegram).values())


def test_unreachable_telegram_is_retried_with_backoff_then_failed(bureau: Bureau) -> None:
    audience = chats(3)
    bureau.subscribe([f"tg:{c}" for c in audience])
    broadcast = bureau.broadcast()
    closed = push_settings(bureau)
    settings = PushSettings(**{**closed.__dict__, "telegram": TelegramSettings(TOKEN, f"http://127.0.0.1:{free_port()}/bot")})
    started = time.monotonic()
    with Running(settings):
        bureau.wait_status(broadcast, "done", 30)
    assert time.monotonic() - started >= 0.2 + 0.4  # two waits: 0.2 s, then 0.4 s
    for status, attempts, error in bureau.deliveries(broadcast).values():
        assert (status, attempts) == ("failed", 3)
        assert error == "gave up after 3 attempts: Telegram unreachable (ConnectError)"


def test_a_sent_job_recommendation_counts_as_a_follow_up(bureau: Bureau, telegram: TelegramStandIn) -> None:
    graduate, subscriber = chats(2)
    bureau.ledger.save(f"tg:{graduate}", Registration(name="王芳", phone="13912345678", district="海淀区", services=["recommendation"]))
    bureau.subscribe([f"tg:{subscriber}"], kind="job")
    job = Notice("job", "会计助理", "某公司招聘会计助理 2 名。", TODAY, TODAY + timedelta(days=30), "staff1", district="海淀区")
    broadcast = bureau.broadcast(job)
    with Running(push_settings(bureau, telegram=telegram)):
        bureau.wait_status(broadcast, "done", 30)
    assert bureau.counts(broadcast) == {"sent": 2}
    assert telegram.messages(graduate)[0].text.startswith("根据你登记的求职意向，为你推荐：")
    stored = bureau.ledger.find(f"tg:{graduate}")
    assert stored is not None and stored.follow_ups == {"recommendation": 1}
    with bureau.ledger.engine.begin() as conn:
        rows = conn.execute(select(follow_ups.c.staff, follow_ups.c.note)).all()
    assert [(r.staff, r.note) for r in rows] == [("push", "推送岗位：会计助理")]
    assert bureau.ledger.find(f"tg:{subscriber}") is None  # a plain subscriber has no registration to count on

