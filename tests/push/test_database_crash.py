"""PostgreSQL crashes (immediate stop) under the push worker, on a server of the test's own.

At the moment a broadcast message is on the wire: the message is in Telegram's hands, the worker has not yet heard the answer. Nothing is sent twice and
every delivery ends `sent` or `unknown`, even on a server that acknowledges commits before it has
written them (synchronous_commit=off; here a partly filled WAL page waits up to 10 s to be written,
so the crash right after the send certainly loses the last commits): the claim (pending → sending)
made before the send must survive the crash, or the row is `pending` again afterwards and goes out a
second time (docs/deployment.md).

In the middle of a broadcast's fan-out: the worker that claimed the broadcast fans it out again once
the database is back, not after the claim's lease."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from tests.databases import PrivatePostgres, private_postgres_missing
from tests.push.conftest import FAST, Bureau, Running, chats, push_settings, received
from tests.standins.telegram import TelegramStandIn

pytestmark = pytest.mark.skipif(private_postgres_missing() is not None, reason=f"no private PostgreSQL: {private_postgres_missing()}")
LAZY_WAL = ("synchronous_commit=off", "wal_writer_delay=10000")


@contextmanager
def running_postgres(settings: Sequence[str] = ()) -> Iterator[PrivatePostgres]:
    server = PrivatePostgres(settings)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def lazy_postgres() -> Iterator[PrivatePostgres]:
    with running_postgres(LAZY_WAL) as server:
        yield server


@pytest.fixture
def own_postgres() -> Iterator[PrivatePostgres]:
    with running_postgres() as server:
        yield server


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
    assert durable == "on"  # the ledger's sessions, whatever the server's default (db/tables.py)


def test_a_fan_out_cut_off_by_a_crash_is_done_again_once_the_database_is_back(
        own_postgres: PrivatePostgres, telegram: TelegramStandIn, redis_prefix: str) -> None:
    bureau = Bureau(own_postgres.create_database("push"))
    audience = chats(20)
    bureau.subscribe([f"tg:{c}" for c in audience])
    crashed = threading.Event()

    def crash_at_fan_out(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().startswith("INSERT INTO deliveries") and not crashed.is_set():
            own_postgres.stop("immediate")  # the INSERT then meets a dead connection
            crashed.set()

    event.listen(Engine, "before_cursor_execute", crash_at_fan_out)
    try:
        broadcast = bureau.broadcast()
        with Running(push_settings(bureau, redis_prefix, telegram)):
            assert crashed.wait(30), "no fan-out"
            own_postgres.start()
            back = time.monotonic()
            bureau.wait_status(broadcast, "done", 60)
            took = time.monotonic() - back
    finally:
        event.remove(Engine, "before_cursor_execute", crash_at_fan_out)
        bureau.close()
    assert took < FAST.fan_out_lease / 2, f"{took:.1f} s: the broadcast waited for its claim's lease"
    assert received(telegram) == {c: 1 for c in audience}
