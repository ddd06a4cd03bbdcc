"""The hand-out of delivery ids to the workers, one queue per channel (Telegram's 30 msg/s must not
hold up WeChat).

RedisStreamQueue (with REDIS_URL): one stream per channel, `<prefix>q:<channel>`, read through
the consumer group `push-workers`, each worker a consumer of its own. A message carries only a
delivery id; the database row is the record. Next to each stream a set, `<prefix>held:<channel>`,
names the delivery ids that are in the stream (queued, or read and not yet acknowledged): added
by the same script call as the XADD (2,000 ids per call), removed in the same MULTI as the
XACK + XDEL, so the reconciler can tell which `pending` deliveries nobody holds. A dead worker's unacknowledged messages are
taken over with XAUTOCLAIM after `claim_idle` seconds. A lost stream (Redis restarted: it keeps
nothing on disk) is recreated on the next read; stale marks in the held set are dropped by
`repair`; the reconciler then enqueues again whatever the database says is still owed.

MemoryQueue (no Redis): an asyncio queue per channel in this process, the same interface.

A delivery id may be handed out twice (a reconciler racing an enqueue, a message taken over from
a worker that was only slow): harmless, because sending starts with an atomic claim of the row
(pending → sending) that only one worker wins.
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Protocol, Sequence, Set

log = logging.getLogger(__name__)

GROUP = "push-workers"
CHUNK = 2000
# XADD each id (in order) and mark it held, in one atomic step
ENQUEUE = """
for i = 1, #ARGV do redis.call('XADD', KEYS[1], '*', 'd', ARGV[i]) end
redis.call('SADD', KEYS[2], unpack(ARGV))
return #ARGV
"""


@dataclass(frozen=True)
class Taken:
    """One handed-out message: `token` acknowledges it."""

    token: str
    delivery_id: int


class Queue(Protocol):
    async def enqueue(self, channel: str, ids: Sequence[int]) -> None:
        """Hand these deliveries out (in order)."""

    async def take(self, channel: str, count: int, block: float) -> List[Taken]:
        """Up to `count` messages; waits up to `block` seconds for the first."""

    async def done(self, channel: str, taken: Sequence[Taken]) -> None:
        """Acknowledge: these messages are finished (sent, given up, or rescheduled)."""

    async def held(self, channel: str, ids: Sequence[int]) -> Set[int]:
        """Which of `ids` are queued or being worked on."""

    async def repair(self, channel: str) -> int:
        """Drop held marks whose message is gone; returns how many."""

    async def depth(self, channel: str) -> int:
        """Messages not yet acknowledged: waiting, or taken and being worked on (for metrics)."""

    async def close(self) -> None:
        ...


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class RedisStreamQueue:
    def __init__(self, url: str, prefix: str = "push:", claim_idle: float = 60.0, consumer: Optional[str] = None) -> None:
        from redis import asyncio as aioredis

        self.redis = aioredis.from_url(url, decode_responses=True, socket_timeout=10.0, socket_connect_timeout=5.0)
        self.prefix = prefix
        self.claim_idle = claim_idle
        self.consumer = consumer or consumer_name()
        self._enqueue = self.redis.register_script(ENQUEUE)
        self._groups: Set[str] = set()
        self._next_claim: Dict[str, float] = {}
        self.taken_over = 0  # messages taken over from stopped workers

    def stream(self, channel: str) -> str:
        return f"{self.prefix}q:{channel}"

    def held_key(self, channel: str) -> str:
        return f"{self.prefix}held:{channel}"

    async def enqueue(self, channel: str, ids: Sequence[int]) -> None:
        # one script call per chunk: atomic like MULTI, without packing thousands of XADDs in Python
        for start in range(0, len(ids), CHUNK):
            await self._enqueue(keys=[self.stream(channel), self.held_key(channel)], args=list(ids[start:start + CHUNK]))

    async def take(self, channel: str, count: int, block: float) -> List[Taken]:
        from redis.exceptions import ResponseError

        try:
            await self._ensure_group(channel)
            taken = await self._take_over(channel, count)
            if taken:
                return taken
            answer = await self.redis.xreadgroup(GROUP, self.consumer, {self.stream(channel): ">"}, count=count,
                                                 block=max(1, int(block * 1000)))
        except ResponseError as error:  # NOGROUP, or UNBLOCKED when the key went while we waited
            if not str(error).startswith(("NOGROUP", "UNBLOCKED")):
                raise
            log.warning("push queue %s is gone (Redis restarted or flushed?): making it again", channel)
            self._groups.discard(channel)
            return []
        return [_taken(entry_id, fields) for _, entries in answer or [] for entry_id, fields in entries if fields]

    async def done(self, channel: str, taken: Sequence[Taken]) -> None:
        if not taken:
            return
        tokens = [t.token for t in taken]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream(channel), GROUP, *tokens)
            pipe.xdel(self.stream(channel), *tokens)
            pipe.srem(self.held_key(channel), *[t.delivery_id for t in taken])
            await pipe.execute()

    async def held(self, channel: str, ids: Sequence[int]) -> Set[int]:
        found: Set[int] = set()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            flags = await self.redis.smismember(self.held_key(channel), chunk)
            found.update(i for i, flag in zip(chunk, flags) if flag)
        return found

    async def repair(self, channel: str) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:  # both counts at one moment
            pipe.scard(self.held_key(channel))
            pipe.xlen(self.stream(channel))
            held_count, stream_length = await pipe.execute()
        if held_count <= stream_length:
            return 0
        # snapshot the marks first: a mark made later was made with its XADD, so it is in the stream
        marks = await self.redis.smembers(self.held_key(channel))
        in_stream: Set[str] = set()
        start = "-"
        while True:
            entries = await self.redis.xrange(self.stream(channel), min=start, count=10_000)
            in_stream.update(fields.get("d", "") for _, fields in entries)
            if len(entries) < 10_000:
                break
            start = "(" + entries[-1][0]
        stale = list(marks - in_stream)  # or acknowledged meanwhile: removing those again is harmless
        dropped = 0
        for begin in range(0, len(stale), CHUNK):
            dropped += int(await self.redis.srem(self.held_key(channel), *stale[begin:begin + CHUNK]))
        if dropped:
            log.warning("push queue %s: %d held marks without a message dropped", channel, dropped)
        return dropped

    async def depth(self, channel: str) -> int:
        return int(await self.redis.xlen(self.stream(channel)))  # acknowledged messages are deleted

    async def close(self) -> None:
        await self.redis.close()

    async def _ensure_group(self, channel: str) -> None:
        from redis.exceptions import ResponseError

        if channel in self._groups:
            return
        try:
            await self.redis.xgroup_create(self.stream(channel), GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._groups.add(channel)

    async def _take_over(self, channel: str, count: int) -> List[Taken]:
        """Messages a dead (or very slow) worker read and never acknowledged."""
        if time.monotonic() < self._next_claim.get(channel, 0.0):
            return []
        self._next_claim[channel] = time.monotonic() + max(self.claim_idle / 4, 0.2)
        answer = await self.redis.xautoclaim(self.stream(channel), GROUP, self.consumer,
                                             min_idle_time=int(self.claim_idle * 1000), start_id="0-0", count=count)
        taken = [_taken(entry_id, fields) for entry_id, fields in answer[1] if fields]
        if taken:
            log.debug("push queue %s: took over %d messages of a worker that stopped", channel, len(taken))
            self.taken_over += len(taken)
            self._next_claim[channel] = 0.0  # there may be more
        return taken


def _taken(entry_id: str, fields: Dict[str, str]) -> Taken:
    return Taken(entry_id, int(fields["d"]))


class MemoryQueue:
    def __init__(self) -> None:
        self._queues: Dict[str, "asyncio.Queue[int]"] = {}
        self._held: Dict[str, Set[int]] = {}

    def _queue(self, channel: str) -> "asyncio.Queue[int]":
        return self._queues.setdefault(channel, asyncio.Queue())

    async def enqueue(self, channel: str, ids: Sequence[int]) -> None:
        queue, held = self._queue(channel), self._held.setdefault(channel, set())
        for delivery_id in ids:
            queue.put_nowait(delivery_id)
            held.add(delivery_id)

    async def take(self, channel: str, count: int, block: float) -> List[Taken]:
        queue = self._queue(channel)
        try:
            first = await asyncio.wait_for(queue.get(), timeout=block)
        except asyncio.TimeoutError:
            return []
        ids = [first]
        while len(ids) < count and not queue.empty():
            ids.append(queue.get_nowait())
        return [Taken(str(i), i) for i in ids]

    async def done(self, channel: str, taken: Sequence[Taken]) -> None:
        held = self._held.setdefault(channel, set())
        for t in taken:
            held.discard(t.delivery_id)

    async def held(self, channel: str, ids: Sequence[int]) -> Set[int]:
        return set(ids) & self._held.get(channel, set())

    async def repair(self, channel: str) -> int:
        return 0

    async def depth(self, channel: str) -> int:
        return len(self._held.get(channel, ()))

    async def close(self) -> None:
        self._queues.clear()
