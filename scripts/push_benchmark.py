"""Push worker benchmark (not a test): `python -m scripts.push_benchmark` writes docs/push-benchmark.md.

1. Fan-out: a 100,000-recipient broadcast on PostgreSQL + Redis, through the calls the worker's
   scheduler makes (claim the broadcast, NoticeStore.fan_out = one INSERT … SELECT, read the
   pending ids, XADD of 2,000 ids per Lua script call) until every id is in the Redis stream. Target ≤ 10 s.
2. Sending: two `python -m push` processes work off one broadcast against the Telegram
   stand-in for ~20 s; the rate is counted in the stand-in's own timestamps, as a ratio to 30 msg/s
   (target ≥ 0.95, and never more than 30 in any 1-s window, never 2 to one chat within 1 s).

Each part runs in a PostgreSQL database of its own (dropped afterwards) and under a Redis key
prefix of its own (deleted afterwards), on the servers of tests/databases.py and REDIS_URL.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import os
import platform
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Dict, List

import redis

from db.crypto import new_key
from devstack.stack import ROOT
from ledger.config import LedgerSettings
from ledger.store import Ledger
from notices.model import Notice
from notices.store import NoticeStore
from push.book import Book
from push.queue import RedisStreamQueue
from push.worker import Worker, queue_of
from tests.databases import postgres_database
from tests.standins.telegram import TelegramStandIn

REPORT = ROOT / "docs" / "push-benchmark.md"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
TOKEN = f"{secrets.randbelow(10**9) + 10**8}:{secrets.token_urlsafe(30)}"


@dataclass
class FanOut:
    recipients: int
    claim_s: float
    insert_s: float
    read_s: float
    enqueue_s: float
    total_s: float
    stream_length: int


@dataclass
class Sending:
    seconds: float
    sent: int
    rate: float
    max_in_1s: int
    chat_repeats: int
    broadcast_s: float
    shares: List[int]


def ledger_for(url: str) -> Ledger:
    return Ledger.open(LedgerSettings(database_url=url, keys=[new_key()], hash_key=os.urandom(32)))


def broadcast_to(ledger: Ledger, recipients: int) -> int:
    with ledger.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO subscriptions (identity, channel, kind, created_at, updated_at) "
            f"SELECT 'tg:' || (100000000 + g), 'tg', 'fair', now(), now() FROM generate_series(1, {int(recipients)}) g")
    notices = NoticeStore(ledger.engine)
    today = date.today()
    notice_id = notices.create(Notice("fair", "海淀区高校毕业生专场招聘会", "百家企业，千个岗位。", today, today + timedelta(days=10),
                                      "bench", district="海淀区", event_date=today + timedelta(days=3), event_time="9:00-12:00",
                                      place="海淀区某会展中心（示例）"))
    notices.publish(notice_id)
    return notices.create_broadcast(notice_id, "bench")


def clean_redis(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for key in client.scan_iter(match=prefix + "*", count=1000):
            client.delete(key)
    finally:
        client.close()


async def fan_out_once(ledger: Ledger, broadcast_id: int, prefix: str) -> FanOut:
    """The scheduler's steps for one broadcast (Worker.schedule), timed one by one."""
    book, notices = Book(ledger.engine), NoticeStore(ledger.engine)
    queue = RedisStreamQueue(REDIS_URL, prefix)
    worker = Worker(book, notices, queue, None, None, None, None)  # type: ignore[arg-type]  # enqueue only
    try:
        started = time.perf_counter()
        assert book.claim_broadcast(broadcast_id, 300)
        claimed = time.perf_counter()
        total = notices.fan_out(broadcast_id)
        inserted = time.perf_counter()
        pending = book.pending_of(broadcast_id)
        read = time.perf_counter()
        await worker.enqueue(pending)
        done = time.perf_counter()
        length = int(await queue.redis.xlen(queue.stream(queue_of("tg"))))
    finally:
        await queue.close()
    return FanOut(total, claimed - started, inserted - claimed, read - inserted, done - read, done - started, length)


def run_fan_out(recipients: int) -> FanOut:
    prefix = f"bench-push-{secrets.token_hex(4)}:"
    try:
        with postgres_database("pushbench") as url:
            ledger = ledger_for(url)
            try:
                broadcast_id = broadcast_to(ledger, recipients)
                return asyncio.run(fan_out_once(ledger, broadcast_id, prefix))
            finally:
                ledger.close()
    finally:
        clean_redis(prefix)


def run_sending(recipients: int, measure: float, logs: Path) -> Sending:
    prefix = f"bench-push-{secrets.token_hex(4)}:"
    try:
        with postgres_database("pushbench") as url, TelegramStandIn(TOKEN) as telegram:
            ledger = ledger_for(url)
            settings = ledger.settings
            assert settings is not None
            env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url, "LEDGER_KEYS": settings.keys[0].decode(),
                   "LEDGER_HASH_KEY": base64.urlsafe_b64encode(settings.hash_key).decode(), "REDIS_URL": REDIS_URL,
                   "PUSH_KEY_PREFIX": prefix, "PUSH_STORE_PREFIX": f"{prefix}gw:", "WECHAT_TOKEN": "",
                   "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": telegram.api_base_url,
                   "PUSH_SCHEDULER_INTERVAL": "0.5"}
            workers = start_workers(2, env, logs)
            try:
                broadcast_id = broadcast_to(ledger, recipients)
                started = time.monotonic()
                wait_done(ledger, broadcast_id, started + recipients / 25 + 60)
                broadcast_s = time.monotonic() - started
            finally:
                shares = stop_workers(workers, logs)
                ledger.close()
            return measure_calls(telegram, measure, broadcast_s, shares)
    finally:
        clean_redis(prefix)


def start_workers(count: int, env: Dict[str, str], logs: Path) -> List[subprocess.Popen]:
    workers = []
    for n in range(count):
        with open(logs / f"push-worker-{n}.log", "wb") as log:
            workers.append(subprocess.Popen([sys.executable, "-m", "push"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 30
    for n in range(count):
        while "running" not in (logs / f"push-worker-{n}.log").read_text(errors="replace"):
            if time.monotonic() > deadline or workers[n].poll() is not None:
                raise RuntimeError(f"push worker {n} did not start; see {logs}")
            time.sleep(0.05)
    return workers


def stop_workers(workers: List[subprocess.Popen], logs: Path) -> List[int]:
    """Stops the workers (SIGTERM) and returns how many messages each reports sent."""
    shares = []
    for n, worker in enumerate(workers):
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        match = re.search(r"stopped: .*?tg sent (\d+)", (logs / f"push-worker-{n}.log").read_text(errors="replace"))
        shares.append(int(match.group(1)) if match else 0)
    return shares


def wait_done(ledger: Ledger, broadcast_id: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with ledger.engine.connect() as conn:
            status = conn.exec_driver_sql(f"SELECT status FROM broadcasts WHERE id = {int(broadcast_id)}").scalar()
        if status == "done":
            return
        time.sleep(0.2)
    raise RuntimeError("the broadcast did not finish in time")


def measure_calls(telegram: TelegramStandIn, measure: float, broadcast_s: float, shares: List[int]) -> Sending:
    calls = sorted(telegram.calls_of("sendMessage"), key=lambda c: c.at)
    times = [c.at for c in calls]
    begin = times[0] + 1.0  # skip the first second (workers picking the broadcast up)
    inside = [t for t in times if begin <= t < begin + measure]
    max_in_1s = max(sum(1 for u in times[i:i + 40] if u - t < 1.0) for i, t in enumerate(times))
    last: Dict[object, float] = {}
    repeats = 0
    for call in calls:
        chat = call.params.get("chat_id")
        if chat in last and call.at - last[chat] < 1.0:
            repeats += 1
        last[chat] = call.at
    return Sending(measure, len(inside), len(inside) / measure, max_in_1s, repeats, broadcast_s, shares)


def render(fan: FanOut, send: Sending) -> str:
    ratio = send.rate / 30
    return f"""# Push worker benchmark

`python -m scripts.push_benchmark` ({time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores,
Python {platform.python_version()}, PostgreSQL and Redis on this machine).

## Fan-out of a {fan.recipients:,}-recipient broadcast into the queue (PostgreSQL + Redis)

The scheduler's steps for one broadcast, timed one by one (target: all of it ≤ 10 s):

| step | seconds |
| --- | --- |
| claim the broadcast (UPDATE … WHERE status IN …) | {fan.claim_s:.3f} |
| NoticeStore.fan_out: one INSERT … SELECT of {fan.recipients:,} pending deliveries | {fan.insert_s:.2f} |
| read the pending delivery ids | {fan.read_s:.2f} |
| enqueue: XADD (+ held marks) by a Lua script, 2,000 ids per call | {fan.enqueue_s:.2f} |
| **total** | **{fan.total_s:.2f}** |

Stream length afterwards: {fan.stream_length:,} (one message per delivery).

## Sustained Telegram send rate, 2 worker processes, Telegram stand-in

Counted in the stand-in's own timestamps over {send.seconds:.0f} s of a running broadcast (the first
second skipped): **{send.sent} messages = {send.rate:.2f} msg/s = {ratio:.3f} of 30 msg/s** (target ≥ 0.95).
Most messages in any 1-s window: **{send.max_in_1s}** (limit 30); two messages to one chat within 1 s:
**{send.chat_repeats}**. Whole broadcast, from creation to `done`: {send.broadcast_s:.1f} s; shares of the two
workers: {' + '.join(str(s) for s in send.shares)} messages.

The limiter counts a send from when its slot is taken until 1 s after Telegram's answer came back,
so network jitter can never push Telegram over 30 in a second; the price is one round trip (slot,
database claim, HTTP call) per message, a few per cent of the 30.
"""


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.push_benchmark")
    parser.add_argument("--fan-out", type=int, default=100_000, help="recipients of the fan-out broadcast")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the send rate is measured")
    args = parser.parse_args()
    fan = run_fan_out(args.fan_out)
    print(f"fan-out: {fan}", flush=True)
    send = run_sending(int((args.seconds + 3) * 30), args.seconds, Path(tempfile.mkdtemp(prefix="push-bench-")))
    print(f"sending: {send}", flush=True)
    report = render(fan, send)
    REPORT.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
