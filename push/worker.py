"""One push worker: a scheduler, a reconciler and one consumer per queue, in one event loop.

- scheduler (every `scheduler_interval`): broadcasts `ready`, or `scheduled` and due, are claimed
  in the database (one worker wins each), fanned out (NoticeStore.fan_out: one pending row per
  recipient) and their pending delivery ids enqueued; a fan-out cut off by a database error is
  tried again by the same worker at its next tick;
- reconciler (every `reconcile_interval`, one worker at a time): recipients marked blocked who
  wrote again are reachable again (bot/gateway/seen.py); `sending` rows past their lease
  become `unknown`; held marks without a message are dropped; pending, due deliveries of running
  broadcasts that no queue holds are enqueued again (a Redis restart, a worker killed between
  fan-out and enqueue, a retry whose worker stopped); running broadcasts with nothing pending or
  sending become `done`. Cancelled broadcasts are left alone (cancel skips their pending rows);
- handoff replies (every `reply_interval`): staff replies to graduates, see replies.py;
- consumers (`tg`, `wx`, and `other` for identities no channel can reach): take ids, load their
  rows, and for each pending, due one: skip an inactive recipient (`blocked`), wait for a sending
  slot (Telegram), claim the row, send, record the outcome; a retry is enqueued again by this
  worker when it is due (or by the reconciler, if this worker stops first).

Database calls are blocking (SQLAlchemy) and run in a thread pool, never on the event loop.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Set, Tuple, TypeVar

from bot.channels.telegram import keys as telegram_keys
from bot.channels.wechat import keys as wechat_keys
from bot.gateway.seen import take_seen
from bot.gateway.stores import Store
from db.engine import now
from notices.model import Notice
from notices.store import NoticeError, NoticeStore
from push.book import Book, Row, beijing_today
from push.config import Timing
from push.limits import Slot
from push.outcome import Outcome
from push.queue import Queue, Taken
from push.render import TELEGRAM_BYTES, render_text
from push.telegram import TelegramSender
from push.wechat import WeChatSender
from runtime.metrics import PUSH_DELIVERIES

if TYPE_CHECKING:
    from push.replies import ReplyCourier

log = logging.getLogger(__name__)
T = TypeVar("T")
QUEUES = ("tg", "wx", "other")
NOTICE_TTL = 30.0


def queue_of(channel: str) -> str:
    return channel if channel in ("tg", "wx") else "other"


# the channels whose users can block the bot or unfollow, by the prefix of their identities
CHANNEL_KEYS = {"tg": telegram_keys, "wx": wechat_keys}


def inactive_key(channel: str, address: str) -> Optional[str]:
    """Where the gateway and this worker mark a recipient who blocked the bot or unfollowed."""
    keys = CHANNEL_KEYS.get(channel)
    return keys.inactive(address) if keys is not None else None


class Worker:
    def __init__(self, book: Book, notices: NoticeStore, queue: Queue, store: Store, own: Store, slots: Slot,
                 timing: Timing, telegram: Optional[TelegramSender] = None, wechat: Optional[WeChatSender] = None,
                 name: str = "push") -> None:
        self.book, self.notices, self.queue = book, notices, queue
        self.store, self.own, self.slots = store, own, slots
        self.timing = timing
        self.telegram, self.wechat = telegram, wechat
        self.name = name
        self.counts: Counter = Counter()
        self._notices: Dict[int, Tuple[float, Optional[Notice]]] = {}
        self._claimed: Set[int] = set()  # broadcasts this worker claimed and has not fanned out yet
        self._timers: Set[asyncio.Task] = set()
        self._stop = asyncio.Event()
        self._pool = ThreadPoolExecutor(max_workers=12, thread_name_prefix="push-db")
        self.courier: Optional["ReplyCourier"] = None  # handoff messages (push/replies.py), set by open_worker

    # ---- life
    async def run(self) -> None:
        loops = [self._every(self.timing.scheduler_interval, self.schedule, "scheduler"),
                 self._every(self.timing.reconcile_interval, self.reconcile_if_first, "reconciler")]
        if self.courier is not None:
            loops.append(self._every(self.timing.reply_interval, self.courier.tick, "handoff replies"))
        loops += [self.consume(name) for name in QUEUES]
        log.info("push worker %s running", self.name)
        try:
            await asyncio.gather(*loops)
        finally:
            for timer in self._timers:
                timer.cancel()
            self._pool.shutdown(wait=False)
            log.info("push worker %s stopped: %s", self.name, self.summary())

    def stop(self) -> None:
        self._stop.set()

    def summary(self) -> str:
        parts = [f"{k} {v}" for k, v in sorted(self.counts.items())]
        taken_over = getattr(self.queue, "taken_over", 0)
        if taken_over:
            parts.append(f"{taken_over} messages taken over from stopped workers")
        return ", ".join(parts) or "nothing sent"

    async def db(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, call, *args)

    async def _every(self, interval: float, tick: Callable[[], Any], what: str) -> None:
        while not self._stop.is_set():
            try:
                await tick()
            except Exception:  # a database or Redis hiccup: log it, try again next time
                log.exception("push %s: tick failed", what)
            try:
                await asyncio.wait_for(self._stop.wait(), interval)
            except asyncio.TimeoutError:
                pass

    # ---- scheduler
    async def schedule(self) -> None:
        due = await self.db(self.book.due_broadcasts, self.timing.fan_out_lease)
        for broadcast_id in sorted(self._claimed | set(due)):
            if broadcast_id not in self._claimed:
                if not await self.db(self.book.claim_broadcast, broadcast_id, self.timing.fan_out_lease):
                    continue
                self._claimed.add(broadcast_id)
            await self.fan_out(broadcast_id)

    async def fan_out(self, broadcast_id: int) -> None:
        """A claimed broadcast's fan-out; one cut off by a database error stays in `_claimed` and
        is tried again at the next tick (fan-out is idempotent), not after the claim's lease."""
        try:
            total = await self.db(self.notices.fan_out, broadcast_id)
        except NoticeError as error:
            self._claimed.discard(broadcast_id)
            log.warning("push: broadcast %d not fanned out: %s", broadcast_id, error)
            return
        self._claimed.discard(broadcast_id)
        queued = await self.enqueue(await self.db(self.book.pending_of, broadcast_id))
        log.info("push: broadcast %d fanned out to %d recipients, %d queued", broadcast_id, total, queued)

    async def enqueue(self, pairs: List[Tuple[int, str]]) -> int:
        by_queue: Dict[str, List[int]] = {}
        for delivery_id, channel in pairs:
            by_queue.setdefault(queue_of(channel), []).append(delivery_id)
        for name, ids in by_queue.items():
            await self.queue.enqueue(name, ids)
        return len(pairs)

    # ---- reconciler
    async def reconcile_if_first(self) -> None:
        if await self.own.claim("reconcile", max(self.timing.reconcile_interval * 0.8, 0.1)):
            await self.reconcile()

    async def reconcile(self) -> None:
        seen = await take_seen(self.store)
        if seen:
            back = await self.db(self.notices.reactivate, seen)
            if back:
                log.info("push: %d recipients marked blocked wrote again: reachable again", back)
        lost = await self.db(self.book.expire_sending)
        if lost:
            log.warning("push: %d deliveries left `sending` by a stopped worker marked unknown", lost)
        for name in QUEUES:
            await self.queue.repair(name)
        after, again = 0, 0
        while True:
            owed = await self.db(self.book.owed, self.timing.reconcile_grace, after)
            if not owed:
                break
            after = owed[-1][0]
            for name in QUEUES:
                ids = [i for i, channel in owed if queue_of(channel) == name]
                held = await self.queue.held(name, ids) if ids else set()
                # read again after the held check: a row sent and acknowledged meanwhile is not owed
                missing = await self.db(self.book.still_owed, [i for i in ids if i not in held]) if ids else []
                if missing:
                    await self.queue.enqueue(name, missing)
                    again += len(missing)
        if again:
            log.warning("push: %d owed deliveries were in no queue: enqueued again", again)
        for broadcast_id in await self.db(self.book.finish_broadcasts):
            log.info("push: broadcast %d done: %s", broadcast_id, await self.db(self.notices.report, broadcast_id))

    # ---- consumers
    async def consume(self, name: str) -> None:
        inflight: Set[asyncio.Task] = set()
        while not self._stop.is_set():
            free = self.timing.concurrency - len(inflight)
            if free <= 0:
                await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                taken = await self.queue.take(name, free, 1.0)
                rows = await self.db(self.book.load, [t.delivery_id for t in taken]) if taken else {}
            except Exception:
                log.exception("push consumer %s: taking from the queue failed", name)
                await asyncio.sleep(1.0)
                continue
            for item in taken:
                task = asyncio.ensure_future(self.handle(name, item, rows.get(item.delivery_id)))
                inflight.add(task)
                task.add_done_callback(inflight.discard)
        if inflight:  # sends on the wire may finish; what still waits for a slot is given back
            _, waiting = await asyncio.wait(inflight, timeout=self.timing.http_timeout + 5)
            for task in waiting:
                task.cancel()
            await asyncio.gather(*waiting, return_exceptions=True)

    async def handle(self, name: str, item: Taken, row: Optional[Row]) -> None:
        try:
            if row is not None and row.status == "pending" and row.due(now()):
                await self.deliver(name, row)
        except Exception:
            log.exception("push: delivery %d failed in the worker", item.delivery_id)
        finally:
            try:
                await self.queue.done(name, [item])
            except Exception:
                log.exception("push: acknowledging delivery %d failed", item.delivery_id)

    async def deliver(self, name: str, row: Row) -> None:
        address = row.identity.split(":", 1)[1] if ":" in row.identity else row.identity
        if row.inactive:
            return await self.close(row, "blocked", f"recipient inactive ({row.inactive})")
        marked = inactive_key(row.channel, address)
        if marked is not None and await self.store.get(marked):
            return await self.close(row, "blocked", "recipient inactive (blocked the bot or unfollowed)")
        notice = await self.notice(row.notice_id)
        if notice is None or notice.status != "published" or notice.valid_until < beijing_today():
            return await self.close(row, "skipped", "notice withdrawn or no longer valid")
        if name == "tg" and self.telegram is not None:
            await self.send_telegram(row, address, notice)
        elif name == "wx" and self.wechat is not None:
            await self.send_wechat(row, address, notice)
        else:
            await self.close(row, "skipped", f"no push on channel {row.channel!r} (off or not reachable)")

    async def send_telegram(self, row: Row, chat: str, notice: Notice) -> None:
        assert self.telegram is not None
        text = render_text(notice, row.purpose, TELEGRAM_BYTES)
        ticket = await self.slots.acquire(chat)
        attempt = await self._claim(row)
        if attempt is None:
            return await self.slots.release(ticket, chat)
        wait = await self.slots.paused()  # a 429 may have come back while this row was claimed
        if wait:
            await self.slots.release(ticket, chat)
            return await self.settle(row, attempt, Outcome("pause", "flood control of another send", wait), notice)
        try:
            outcome = await self.telegram.send(chat, text)
        finally:
            await self.slots.finish(ticket, chat)
        if outcome.status == "pause":
            log.warning("telegram: flood control, every worker waits %.0f s", outcome.retry_after)
            await self.slots.pause(outcome.retry_after, chat)
        await self.settle(row, attempt, outcome, notice)

    async def send_wechat(self, row: Row, openid: str, notice: Notice) -> None:
        assert self.wechat is not None
        kind, skip = await self.wechat.prepare(openid)
        if skip is not None:
            return await self.close(row, skip.status, skip.error or "")
        attempt = await self._claim(row)
        if attempt is None:
            return await self.wechat.unprepare(kind)
        await self.settle(row, attempt, await self.wechat.send(openid, notice, row.purpose, kind), notice)

    async def _claim(self, row: Row) -> Optional[int]:
        return await self.db(self.book.claim, row.id, self.timing.sending_timeout)

    async def settle(self, row: Row, attempt: int, outcome: Outcome, notice: Notice) -> None:
        delay = await self.db(self.book.record, row, attempt, outcome, self.timing.max_attempts, self.timing.backoff, notice.title)
        self.counts[f"{row.channel} {outcome.status}"] += 1
        PUSH_DELIVERIES.inc(1.0, (row.channel, outcome.status))
        if outcome.status == "blocked":
            await self.db(self.notices.mark_inactive, row.identity, "blocked")
            keys = CHANNEL_KEYS.get(row.channel)
            if keys is not None:
                await self.store.set(keys.inactive(row.identity.split(":", 1)[1]), f"{time.time():.3f}", keys.INACTIVE_TTL)
        if outcome.status in ("retry", "pause") and delay is not None:
            self._later(delay, queue_of(row.channel), row.id)

    async def close(self, row: Row, status: str, reason: str) -> None:
        if await self.db(self.book.close_unclaimed, row.id, status, reason):
            self.counts[f"{row.channel} {status}"] += 1
            PUSH_DELIVERIES.inc(1.0, (row.channel, status))

    def _later(self, delay: float, name: str, delivery_id: int) -> None:
        async def again() -> None:
            await asyncio.sleep(delay)
            await self.queue.enqueue(name, [delivery_id])

        timer = asyncio.ensure_future(again())
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    async def notice(self, notice_id: int) -> Optional[Notice]:
        cached = self._notices.get(notice_id)
        if cached is None or cached[0] < time.monotonic():
            cached = (time.monotonic() + NOTICE_TTL, await self.db(self.notices.get, notice_id))
            self._notices[notice_id] = cached
        return cached[1]
