"""PostgreSQL crashes (immediate stop) at the moment a broadcast message is on the wire: the
message is in Telegram's hands, the worker has not yet heard the answer. Nothing is sent twice and
every delivery ends `sent` or `unknown`, even on a server that acknowledges commits before it has
written them (synchronous_commit=off; here a partly filled WAL page waits up to 10 s to be written,
so the crash right after the send certainly loses the last commits): the claim (pending → sending)
made before the send must survive the crash, or the row is `pending` again afterwards and goes out a
second time (docs/deployment.md)."""
from __future__ import annotations

import threading
from typing import Iterator

import pytest
from sqlalchemy import text

from tests.databases import PrivatePostgres, private_postgres_missing
from tests.push.conftest import Bureau, Running, chats, push_settings, received
from tests.standins.telegram import TelegramStandIn

pytestmark = pytest.mark.skipif(private_postgres_missing() is not None, reason=f"no private PostgreSQL: {private_postgres_missing()}")
LAZY_WAL = ("synchronous_commit=off", "wal_writer_delay=10000")


@pytest.fixture
def lazy_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres(LAZY_WAL)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


def test_a_crash_while_a_message_is_on_the_wire_sends_nothing_twice(
        lazy_postgres: PrivatePostgres, telegram: TelegramStandIn, redis_prefix: str) -> None:
    bureau = Bureau(lazy_postgres.create_database("push"))
    audience = chats(40)
    bureau.subscribe([f"tg:{c}" for c in audience])
    victim = audience[15]
    crashed = threading.Event()

    def crash() -> None:
        lazy_postgres.stop("immediate")
        crashed.set()

    telegram.after_next(victim, crash)
    try:
        broadcast = bureau.broadcast()
        with bureau.ledger.engine.connect() as conn:
            conn.execute(text("CHECKPOINT"))  # the subscribers and the broadcast are on disk before the worker starts
        with Running(push_settings(bureau, redis_prefix, telegram)):
            assert crashed.wait(30), "the broadcast did not reach the victim's chat"
            lazy_postgres.start()
            bureau.wait_status(broadcast, "done", 60)
        states = bureau.deliveries(broadcast)
        with bureau.ledger.engine.connect() as conn:
            durable = conn.execute(text("SHOW synchronous_commit")).scalar()
    finally:
        bureau.close()
    got = received(telegram)
    assert {c: n for c, n in got.items() if n > 1} == {}  # nothing twice
    # the victim's message went out and its outcome could not be recorded: claimed, then `unknown`
    assert states[f"tg:{victim}"][:2] == ("unknown", 1)
    assert {status for status, _, _ in states.values()} <= {"sent", "unknown"}
    assert all(got.get(int(i[3:])) == 1 for i, (status, _, _) in states.items() if status == "sent")
    assert len(states) == len(audience)
    assert durable == "on"  # the ledger's sessions, whatever the server's default (ledger/db.py)
