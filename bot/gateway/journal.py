"""Turns a gateway has acknowledged to the platform but not answered yet, written down in the
shared Redis so that a gateway that dies with them does not lose them.

Telegram does not resend an update it got 200 for, and WeChat does not resend a push it got
`success` for: from then on the answer owed lives only in the gateway that acknowledged it. So
before acknowledging, the gateway writes the turn down (`record`), and crosses it out once the
answer is out (`done`). Every gateway renews a liveness key (`alive:<holder>`, 3 s) every second
and sweeps the journal every second: the entries of a gateway whose key is gone are taken over
(one Lua script: of two sweepers one wins) and handed to their channel's replayer, which sends
the turn to Rasa again with `once` (nlu/server/private_rest.py) — Rasa answers it from the conversation
when it ran and runs it when it did not — and delivers the answer. So an acknowledged turn is
answered within a few seconds of its gateway's death, and never run twice. It is answered at
least once: a gateway that dies after sending an answer and before crossing its entry out has it
sent again.

In Redis (keys under the store's prefix):

    journal:holders          the gateways with entries
    journal:by:<holder>      a gateway's entries, scored by when they were written (Redis's
                             clock), so a taken-over chat's turns are replayed in their order
    journal:entry:<id>       the payload (sealed by its channel: what the graduate wrote) and how
                             often it was taken over; lives ENTRY_TTL

An entry taken over MAX_TAKES times is dropped (logged): a turn that brings down every gateway
must not go round for ever. An entry of this gateway's own that it does not have in hand (the
reply to `record` was lost on the wire) is replayed after STALE seconds.

Without Redis (the embedded default) there is one gateway and nobody to take over: the journal
only makes the dedupe claim."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import secrets
import socket
from typing import Any, Awaitable, Callable, Dict, List, Optional, Protocol, Set, Tuple

from cryptography.fernet import Fernet

from bot.gateway.background import Background
from bot.gateway.stores import RedisStore, Store
from runtime.metrics import GATEWAY_TAKEOVERS

log = logging.getLogger(__name__)

ALIVE_TTL = 3.0
ALIVE_EVERY = 1.0
SWEEP_EVERY = 1.0
ENTRY_TTL = 600.0
MAX_TAKES = 3
STALE = 10.0
STOP_WAIT = 5.0  # seconds a stopping loop may take to finish the Redis call it is in

Replayer = Callable[[str, str], Awaitable[None]]  # (entry id, sealed payload)
Claim = Tuple[str, float]  # (key, ttl): the dedupe claim made together with the entry


def new_holder() -> str:
    """This gateway's name in the claims and journal entries it holds."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


def sealer(purpose: str, secret: str) -> Fernet:
    """A Fernet key for `purpose`, derived from a secret every gateway holds (the WeChat AppSecret,
    the Telegram bot token): what a channel keeps in Redis is unreadable without it."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(purpose.encode() + b"\0" + secret.encode()).digest()))


class Journal(Protocol):
    holder: str

    def on_replay(self, kind: str, replayer: Replayer) -> None:
        """Entries `<kind>:…` taken over from a dead gateway go to `replayer`, which calls `done`."""

    async def record(self, entry: str, payload: str, claim: Optional[Claim] = None) -> bool:
        """Write the turn down before acknowledging it; with `claim`, only if that claim is new
        (atomically: the claim and the entry are made together or not at all). False: a duplicate."""

    async def done(self, entry: str) -> None:
        """The answer is out: cross the entry out."""

    def replayed(self, entry: str) -> bool:
        """True while `entry` is one this gateway took over (its turn may have run already)."""

    async def open(self) -> None:
        """Start renewing this gateway's liveness."""

    def sweep(self) -> None:
        """Start taking over dead gateways' entries (once the channels are up)."""

    async def stop_sweeping(self) -> None:
        ...

    async def close(self) -> None:
        """Stop; the liveness key goes, so what is still written down is taken over at once."""


class LocalJournal:
    """One gateway without Redis: the dedupe claim only."""

    def __init__(self, store: Store, holder: Optional[str] = None) -> None:
        self.store = store
        self.holder = holder or new_holder()

    def on_replay(self, kind: str, replayer: Replayer) -> None:
        return None

    async def record(self, entry: str, payload: str, claim: Optional[Claim] = None) -> bool:
        return claim is None or await self.store.claim(claim[0], claim[1])

    async def done(self, entry: str) -> None:
        return None

    def replayed(self, entry: str) -> bool:
        return False

    async def open(self) -> None:
        return None

    def sweep(self) -> None:
        return None

    async def stop_sweeping(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisJournal:
    def __init__(self, store: RedisStore, holder: Optional[str] = None, alive_ttl: float = ALIVE_TTL,
                 alive_every: float = ALIVE_EVERY, sweep_every: float = SWEEP_EVERY, stale: float = STALE) -> None:
        self.holder = holder or new_holder()
        self.alive_ttl = alive_ttl
        self.alive_every = alive_every
        self.sweep_every = sweep_every
        self.stale = stale
        self._redis = store.redis
        self._store_prefix = store.prefix
        self._prefix = store.prefix + "journal:"
        self._alive_prefix = store.prefix + "alive:"
        self._record = self._redis.register_script(_RECORD)
        self._sweep = self._redis.register_script(_SWEEP)
        self._replayers: Dict[str, Replayer] = {}
        self._in_hand: Set[str] = set()
        self._replayed: Set[str] = set()
        self._tasks: Dict[str, "asyncio.Task[None]"] = {}
        self._replays = Background("replaying a taken-over turn")

    def on_replay(self, kind: str, replayer: Replayer) -> None:
        self._replayers[kind] = replayer

    async def record(self, entry: str, payload: str, claim: Optional[Claim] = None) -> bool:
        if entry in self._in_hand:
            return False
        keys = [self._entry_key(entry), self._by(self.holder), self._prefix + "holders"]
        args: List[Any] = [self.holder, payload, int(ENTRY_TTL * 1000), entry]
        if claim is not None:
            keys.append(self._store_prefix + claim[0])
            args.append(int(claim[1] * 1000))
        if not await self._record(keys=keys, args=args):
            return False
        self._in_hand.add(entry)
        return True

    async def done(self, entry: str) -> None:
        self._in_hand.discard(entry)
        self._replayed.discard(entry)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                await pipe.zrem(self._by(self.holder), entry).delete(self._entry_key(entry)).execute()
        except Exception as error:  # it expires; a sweep may answer it again
            log.warning("a journal entry was not crossed out (%s)", type(error).__name__)

    def replayed(self, entry: str) -> bool:
        return entry in self._replayed

    async def open(self) -> None:
        try:
            await self._alive()
        except Exception as error:  # Redis away at start-up: the renewal below tries again
            log.warning("liveness not written (%s)", type(error).__name__)
        self._tasks["alive"] = asyncio.ensure_future(self._every("alive", self.alive_every, self._alive, "liveness not renewed"))

    def sweep(self) -> None:
        self._tasks["sweep"] = asyncio.ensure_future(self._every("sweep", self.sweep_every, self.sweep_once, "journal not swept"))

    async def stop_sweeping(self) -> None:
        await self._stop("sweep")

    async def close(self) -> None:
        await self.stop_sweeping()
        await self._stop("alive")
        await self._replays.stop()
        try:
            await self._redis.delete(self._alive_prefix + self.holder)
        except Exception as error:
            log.warning("liveness key not removed (%s): entries are taken over when it expires", type(error).__name__)

    async def sweep_once(self) -> List[str]:
        """Take over what dead gateways left (and this one's own entries not in hand); hand each
        to its replayer. The entry ids handed over, in order."""
        found = await self._sweep(keys=[self._prefix + "holders"],
                                  args=[self.holder, self._alive_prefix, self._prefix, int(self.stale * 1000), MAX_TAKES,
                                        int(ENTRY_TTL * 1000), ",".join(self._replayers)])
        handed: List[str] = []
        for what, entry, payload in zip(found[::3], found[1::3], found[2::3]):
            kind = entry.split(":", 1)[0]
            if what == "dropped":
                GATEWAY_TAKEOVERS.inc(1.0, (kind, "dropped"))
                log.error("a journal entry was taken over %d times and is dropped: %s", MAX_TAKES, kind)
                continue
            if what == "mine" and entry in self._in_hand:
                continue
            replayer = self._replayers[kind]
            if what == "taken":
                GATEWAY_TAKEOVERS.inc(1.0, (kind, "taken"))
                log.warning("a gateway died with a turn it had acknowledged: taken over")
            self._in_hand.add(entry)
            self._replayed.add(entry)
            handed.append(entry)
            self._replays.spawn(replayer(entry, payload))
        return handed

    def _entry_key(self, entry: str) -> str:
        return self._prefix + "entry:" + entry

    def _by(self, holder: str) -> str:
        return self._prefix + "by:" + holder

    async def _alive(self) -> None:
        await self._redis.set(self._alive_prefix + self.holder, "1", px=int(self.alive_ttl * 1000))

    async def _every(self, name: str, seconds: float, work: Callable[[], Awaitable[Any]], failed: str) -> None:
        """`work` every `seconds` until `_stop(name)`. The loop also checks that it is still wanted:
        a cancellation that lands inside a redis-py call can be swallowed there (its pooled
        connection check runs under a zero timeout, which turns a cancel into a timeout)."""
        while name in self._tasks:
            await asyncio.sleep(seconds)
            if name not in self._tasks:
                return
            try:
                await work()
            except Exception as error:  # Redis away: again next time
                log.warning("%s (%s)", failed, type(error).__name__)

    async def _stop(self, name: str) -> None:
        task = self._tasks.pop(name, None)
        if task is None:
            return
        task.cancel()
        await asyncio.wait({task}, timeout=STOP_WAIT)  # never hangs a gateway's shutdown


def make_journal(store: Store, holder: Optional[str] = None) -> Journal:
    if isinstance(store, RedisStore):
        return RedisJournal(store, holder)
    return LocalJournal(store, holder)


# KEYS: entry, by:<holder>, holders[, claim]; ARGV: holder, payload, entry ttl ms, entry id[, claim ttl ms]
# With a claim: a claim already made is a duplicate — unless the entry is this gateway's own (the
# reply to an earlier call was lost and the client called again).
_RECORD = """
if #KEYS == 4 and not redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[5]) then
  if redis.call('ZSCORE', KEYS[2], ARGV[4]) then return 1 end
  return 0
end
local now = redis.call('TIME')
redis.call('HSET', KEYS[1], 'payload', ARGV[2], 'takes', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], now[1] * 1000 + math.floor(now[2] / 1000), ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""

# KEYS: holders; ARGV: me, alive prefix, journal prefix, stale ms, max takes, entry ttl ms, the kinds
# this gateway replays (comma-separated: a dead gateway's entries of other kinds are left to others).
# Returns a flat list of (what, entry id, payload): what = taken | mine | dropped.
_SWEEP = """
local me, alive, prefix = ARGV[1], ARGV[2], ARGV[3]
local kinds = {}
for kind in string.gmatch(ARGV[7], '[^,]+') do kinds[kind] = true end
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
local out = {}
local mine = prefix .. 'by:' .. me
for _, holder in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local by = prefix .. 'by:' .. holder
  if holder == me then
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', by, '-inf', ms - tonumber(ARGV[4]))) do
      local payload = redis.call('HGET', prefix .. 'entry:' .. id, 'payload')
      if payload then
        table.insert(out, 'mine'); table.insert(out, id); table.insert(out, payload)
      else
        redis.call('ZREM', by, id)
      end
    end
  elseif redis.call('EXISTS', alive .. holder) == 0 then
    local ids = redis.call('ZRANGE', by, 0, -1, 'WITHSCORES')
    for i = 1, #ids, 2 do
      local id = ids[i]
      if kinds[string.match(id, '^([^:]*)')] then
        redis.call('ZREM', by, id)
        local entry = prefix .. 'entry:' .. id
        local payload = redis.call('HGET', entry, 'payload')
        if payload then
          if redis.call('HINCRBY', entry, 'takes', 1) > tonumber(ARGV[5]) then
            redis.call('DEL', entry)
            table.insert(out, 'dropped'); table.insert(out, id); table.insert(out, '')
          else
            redis.call('ZADD', mine, ids[i + 1], id)
            redis.call('PEXPIRE', mine, ARGV[6])
            redis.call('SADD', KEYS[1], me)
            table.insert(out, 'taken'); table.insert(out, id); table.insert(out, payload)
          end
        end
      end
    end
    if redis.call('EXISTS', by) == 0 then
      redis.call('SREM', KEYS[1], holder)
    end
  end
end
if redis.call('EXISTS', mine) == 0 then
  redis.call('SREM', KEYS[1], me)
end
return out
"""
