"""Rasa's Redis lock store with each step one atomic script.

endpoints.yml:  lock_store:
                  type: nlu.server.lock_store.AtomicRedisLockStore
                  url: 127.0.0.1      # the same fields as Rasa's `type: redis`
                  port: 6379
                  db: 1
                  key_prefix: rasa    # keys `rasa:lock:<sender id>:{q,x,n}`

Rasa's lock store gives each message of a conversation a ticket and serves the tickets in order,
so that replicas sharing the conversations never run two of its turns at once. Its Redis store
reads the conversation's lock, changes it in Python and writes it back: six round trips a turn
(issue: read, write; acquire: read; clean up: read, write, read, delete), and two replicas issuing
a ticket at the same moment can both read the same lock and get the same number. Here each step
is one Lua script, atomic in Redis: issuing a ticket also says whether it is served at once (the
usual case, so an uncontended turn costs two round trips), checking while waiting is one call,
releasing is one call. The semantics are Rasa's: tickets are served in the order they were
issued; a ticket expires `lock_lifetime` seconds after it was issued (TICKET_LOCK_LIFETIME), so a
replica that died holding one delays the conversation at most that long; expired tickets are
dropped. Time is the Redis server's, one clock for every replica. A message waiting for its turn
looks again every 50 ms (Rasa: every second).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, List, NoReturn, Optional, Text

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
KEEP_AFTER_MS = 10_000  # the keys outlive their latest ticket by this much, then Redis drops them

# KEYS: queue (sorted set of ticket numbers), expiries (hash number -> ms), counter
_SERVING = """
local function serving(now)
  while true do
    local first = redis.call('ZRANGE', KEYS[1], 0, 0)
    if #first == 0 then return 0 end
    if tonumber(redis.call('HGET', KEYS[2], first[1]) or '0') > now then return tonumber(first[1]) end
    redis.call('ZREM', KEYS[1], first[1])
    redis.call('HDEL', KEYS[2], first[1])
  end
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""
# ARGV: lifetime in ms, how long the keys outlive the ticket (ms) -> {ticket, serving}
ISSUE = _SERVING + """
local ticket = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], ticket, ticket)
redis.call('HSET', KEYS[2], ticket, now + tonumber(ARGV[1]))
local keep = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < keep then redis.call('PEXPIRE', key, keep) end
end
return {ticket, serving(now)}
"""
# ARGV: ticket -> {serving, 1 when the ticket is still there}
CHECK = _SERVING + """
local served = serving(now)
return {served, redis.call('HEXISTS', KEYS[2], ARGV[1])}
"""
# ARGV: ticket
RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end
return 1
"""


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore (same settings, same `lock()`), each step one Redis script."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by its module path
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self._issue = self.red.register_script(ISSUE)
        self._check = self.red.register_script(CHECK)
        self._release = self.red.register_script(RELEASE)

    def keys_of(self, conversation_id: Text) -> List[str]:
        base = self.key_prefix + conversation_id
        return [f"{base}:q", f"{base}:x", f"{base}:n"]

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[TicketLock]:
        keys = self.keys_of(conversation_id)
        try:
            ticket, serving = (int(n) for n in self._issue(keys=keys, args=[int(lock_lifetime * 1000), KEEP_AFTER_MS]))
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        try:
            while serving != ticket:
                await asyncio.sleep(min(wait_time_in_seconds, POLL_SECONDS))
                serving, present = (int(n) for n in self._check(keys=keys, args=[ticket]))
                if not present:
                    raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}': "
                                    f"its ticket expired while waiting.")
            yield TicketLock(conversation_id, deque([Ticket(ticket, time.time() + lock_lifetime)]))
        finally:
            try:
                self._release(keys=keys, args=[ticket])
            except Exception as error:  # the ticket expires by itself
                log.warning("lock store: a ticket was not released (%s); it expires after its lifetime", type(error).__name__)

    # Rasa's lock steps on a lock read into Python are what this store replaces: nothing else calls
    # them, and mixing them with the scripts would break the ticket order, so they fail loudly.
    def _only_lock(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError("AtomicRedisLockStore serves tickets only through lock()")

    get_lock = delete_lock = save_lock = issue_ticket = cleanup = finish_serving = is_someone_waiting = _only_lock  # type: ignore[assignment]
