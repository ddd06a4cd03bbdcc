"""Sending limits shared by every worker: Telegram's flood limits and WeChat's template quota.

Telegram (at most `rate` messages in any `window`, at most one message per chat per `chat_gap`):
a slot is taken before a message goes out and stamped again when its answer comes back. A slot
counts from when it was taken (while in flight) and until `window` after the answer arrived,
a chat is closed until `chat_gap` after the answer. Telegram received the message between those
two moments, so however late or early a request travels, Telegram never sees more than `rate`
in any `window`, nor two messages to one chat within `chat_gap` (a plain rate limiter counts when
the request leaves and is off by the network's jitter). The cost is one round trip per slot:
about 29.5 of 30 per second on a fast network. Sends are also paced evenly (window / rate apart,
a GCRA allowing BURST early ones), so Telegram sees a steady stream rather than bursts of 30,
and only a send or two is on the wire at any moment (what a killed worker can leave `unknown`).

With Redis the slots are a sorted set (member per send, score = answer time or, while in
flight, `hold` seconds ahead) changed only by Lua scripts, on Redis's clock; a chat is a key set
with NX and a TTL; the pacing is one key holding the next send's theoretical time; a 429's
`retry_after` sets a pause key that stops every worker, checked again right before each send.
Without Redis the same logic runs in this process.

WeChat template messages: a counter per Beijing day, `wx:template_sent:<yyyymmdd>`, under the
gateway Store's prefix.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Dict, Optional, Protocol, Tuple

BEIJING = timezone(timedelta(hours=8))
# system clocks may drift a little against each other: a few milliseconds to spare
MARGIN = 0.005
POLL = 0.01
# pacing: sends are spread evenly (window / rate apart), a few may come early to make up for
# late wake-ups (a GCRA with this many sends of tolerance)
BURST = 3


class Slot(Protocol):
    async def acquire(self, chat: str) -> str:
        """Waits for a slot to send to `chat`; returns its ticket."""

    async def finish(self, ticket: str, chat: str) -> None:
        """The answer came back: the window and the chat's gap count from now."""

    async def release(self, ticket: str, chat: str) -> None:
        """Nothing was sent after all: the slot is free again."""

    async def pause(self, seconds: float, chat: str) -> None:
        """Telegram asked to wait (429 retry_after): no worker sends before then."""

    async def paused(self) -> float:
        """Seconds left of a pause (0: none); checked again right before a send goes out."""


ACQUIRE = """
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000000 + tonumber(now_t[2])
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then return {0, pause * 1000} end
local gap = redis.call('PTTL', KEYS[3])
if gap > tonumber(ARGV[6]) then return {0, -1} end
if gap > 0 then return {0, gap * 1000} end
if gap == -1 then redis.call('PEXPIRE', KEYS[3], ARGV[5]) return {0, 1000} end
local tat = tonumber(redis.call('GET', KEYS[4]) or '0')
if tat - tonumber(ARGV[8]) > now then return {0, tat - tonumber(ARGV[8]) - now} end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local first = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  if first > now then return {0, -1} end
  return {0, first + window - now}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.floor((window + tonumber(ARGV[3])) / 1000) + 1000)
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
redis.call('SET', KEYS[4], math.max(tat, now) + tonumber(ARGV[7]), 'PX', 60000)
return {1, 0}
"""

FINISH = """
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000000 + tonumber(now_t[2])
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1
"""

RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
"""


class RedisSlots:
    def __init__(self, redis, prefix: str, rate: int = 30, window: float = 1.0, chat_gap: float = 1.0,  # type: ignore[no-untyped-def]
                 hold: float = 11.0) -> None:
        self.redis = redis
        self.window_key, self.pause_key, self.pace_key = f"{prefix}tg:window", f"{prefix}tg:pause", f"{prefix}tg:pace"
        self.chat_prefix = f"{prefix}tg:chat:"
        self.rate, self.window_us = rate, int((window + MARGIN) * 1_000_000)
        self.chat_ms, self.hold_us = int((chat_gap + MARGIN) * 1000), int(hold * 1_000_000)
        self.spacing_us = self.window_us // rate
        self.tolerance_us = self.spacing_us * BURST
        self._acquire = redis.register_script(ACQUIRE)
        self._finish = redis.register_script(FINISH)
        self._release = redis.register_script(RELEASE)

    async def acquire(self, chat: str) -> str:
        ticket = secrets.token_hex(8)
        hold_ms = self.hold_us // 1000
        while True:
            granted, wait_us = await self._acquire(
                keys=[self.window_key, self.pause_key, self.chat_prefix + chat, self.pace_key],
                args=[self.rate, self.window_us, self.hold_us, ticket, hold_ms, self.chat_ms, self.spacing_us, self.tolerance_us])
            if int(granted):
                return ticket
            await asyncio.sleep(POLL if int(wait_us) < 0 else max(int(wait_us) / 1_000_000, 0.001))

    async def finish(self, ticket: str, chat: str) -> None:
        await self._finish(keys=[self.window_key, self.chat_prefix + chat], args=[ticket, self.chat_ms])

    async def release(self, ticket: str, chat: str) -> None:
        await self._release(keys=[self.window_key, self.chat_prefix + chat], args=[ticket])

    async def pause(self, seconds: float, chat: str) -> None:
        ms = max(int(seconds * 1000), 1)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.pause_key, "1", px=ms)
            pipe.set(self.chat_prefix + chat, "429", px=ms + self.chat_ms)
            await pipe.execute()

    async def paused(self) -> float:
        return max(int(await self.redis.pttl(self.pause_key)), 0) / 1000


class MemorySlots:
    """The same rules for one worker process (no Redis)."""

    def __init__(self, rate: int = 30, window: float = 1.0, chat_gap: float = 1.0, hold: float = 11.0) -> None:
        self.rate, self.window, self.chat_gap, self.hold = rate, window + MARGIN, chat_gap + MARGIN, hold
        self.spacing = self.window / rate
        self._tat = 0.0  # the theoretical time of the next send (pacing)
        self._slots: Dict[str, float] = {}  # ticket → answer time, or time taken + hold while in flight
        self._chats: Dict[str, Tuple[str, float]] = {}  # chat → (ticket, closed until)
        self._paused_until = 0.0

    async def acquire(self, chat: str) -> str:
        ticket = secrets.token_hex(8)
        while True:
            wait = self._try(chat, ticket, time.monotonic())
            if wait is None:
                return ticket
            await asyncio.sleep(max(wait, 0.001))

    def _try(self, chat: str, ticket: str, now: float) -> Optional[float]:
        if now < self._paused_until:
            return self._paused_until - now
        closed = self._chats.get(chat)
        if closed and now < closed[1]:
            return POLL if closed[1] - now > self.chat_gap else closed[1] - now  # in flight: its answer is near
        if self._tat - self.spacing * BURST > now:
            return self._tat - self.spacing * BURST - now
        for old in [t for t, at in self._slots.items() if at <= now - self.window]:
            del self._slots[old]
        if len(self._slots) >= self.rate:
            first = min(self._slots.values())
            return POLL if first > now else first + self.window - now
        self._slots[ticket] = now + self.hold
        self._chats[chat] = (ticket, now + self.hold)
        self._tat = max(self._tat, now) + self.spacing
        return None

    async def finish(self, ticket: str, chat: str) -> None:
        now = time.monotonic()
        if ticket in self._slots:
            self._slots[ticket] = now
        self._chats[chat] = (ticket, now + self.chat_gap)

    async def release(self, ticket: str, chat: str) -> None:
        self._slots.pop(ticket, None)
        if self._chats.get(chat, ("",))[0] == ticket:
            del self._chats[chat]

    async def pause(self, seconds: float, chat: str) -> None:
        until = time.monotonic() + seconds
        self._paused_until = max(self._paused_until, until)
        self._chats[chat] = ("429", until + self.chat_gap)

    async def paused(self) -> float:
        return max(self._paused_until - time.monotonic(), 0.0)


class TemplateQuota:
    """How many template messages went out today (Beijing time); Redis INCR or in-process."""

    def __init__(self, limit: int, redis=None, prefix: str = "gw:") -> None:  # type: ignore[no-untyped-def]
        self.limit = limit
        self.redis = redis
        self.prefix = prefix
        self._counts: Dict[str, int] = {}

    def key(self, day: Optional[str] = None) -> str:
        return f"{self.prefix}wx:template_sent:{day or datetime.now(BEIJING).strftime('%Y%m%d')}"

    async def take(self) -> bool:
        """One more template message today, if the quota allows (counted at once)."""
        key = self.key()
        if self.redis is None:
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key] <= self.limit
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 2 * 24 * 3600)
            count, _ = await pipe.execute()
        return int(count) <= self.limit

    async def give_back(self) -> None:
        """The message did not go out after all."""
        key = self.key()
        if self.redis is None:
            self._counts[key] = max(self._counts.get(key, 1) - 1, 0)
        else:
            await self.redis.decr(key)
