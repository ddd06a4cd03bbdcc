"""A graduate who blocked the bot (or unfollowed) and writes again gets broadcasts again; one who
unsubscribed (退订) does not, whatever they write. The gateway notes who writes; a worker's
reconciler clears the database's `blocked` mark."""
from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from bot.gateway.seen import note_seen
from db.tables import recipients
from tests.push.conftest import Bureau, Running, chats, gateway_store, push_settings
from tests.standins.telegram import TelegramStandIn


def marks(bureau: Bureau) -> dict:
    with bureau.ledger.engine.begin() as conn:
        return {r.identity: r.inactive for r in conn.execute(select(recipients.c.identity, recipients.c.inactive))}


def test_writing_again_makes_a_blocked_graduate_reachable_but_not_an_unsubscribed_one(
        bureau: Bureau, telegram: TelegramStandIn, redis_prefix: str) -> None:
    came_back, unsubscribed, still_away = (f"tg:{c}" for c in chats(3))
    bureau.subscribe([came_back, unsubscribed, still_away])
    bureau.notices.mark_inactive(came_back, "blocked")
    bureau.notices.mark_inactive(still_away, "blocked")
    bureau.notices.mark_inactive(unsubscribed, "unsubscribed")

    async def they_write() -> None:
        store = gateway_store(redis_prefix)
        for identity in (came_back, unsubscribed, came_back):  # noted once a day, however often they write
            await note_seen(store, identity)
        assert await store.drain("recipients:seen") == [came_back, unsubscribed]
        for identity in (came_back, unsubscribed):
            await store.append("recipients:seen", identity, 60)
        await store.close()

    asyncio.run(they_write())
    with Running(push_settings(bureau, redis_prefix, telegram=telegram)):
        deadline = time.monotonic() + 20
        while marks(bureau)[came_back] is not None:
            assert time.monotonic() < deadline, marks(bureau)
            time.sleep(0.1)
        assert marks(bureau) == {came_back: None, unsubscribed: "unsubscribed", still_away: "blocked"}
        broadcast = bureau.broadcast()
        bureau.wait_status(broadcast, "done", 30)
    assert set(bureau.deliveries(broadcast)) == {came_back}
    assert len(telegram.messages(int(came_back[3:]))) == 1
