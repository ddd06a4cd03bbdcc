"""Who has a WeChat push in hand, so that WeChat's resend of it (the same MsgId, up to 3 attempts
about 5 s apart, to whichever gateway the balancer picks) is answered — not lost with a gateway
that died holding the push, and never run twice.

The push's dedupe claim (`wx:msg:<openid>:<MsgId>`, `wx:event:…`; 1 h) holds its state:

    held <holder>   a gateway has the push; while that gateway lives it renews its lease,
                    `<claim>:lease:<holder>` (3 s), every second. The lease is written before the
                    claim is made or taken over, so a claim is never seen without its lease
    replied         the answer went back as the passive reply; `<claim>:reply` keeps that text
                    for 20 s, encrypted (a key derived from the AppSecret, which only the gateways
                    and push workers hold), for a resend of a reply WeChat did not get in time
    done            answered `success`: nothing to say, or the answer went (or goes) through the
                    customer-service API
    (anything else — a claim of an older gateway — counts as `done`)

A resend finds the push new (`NEW`), `REPLIED`, `DONE`, `HELD` by a live gateway (the caller
waits a little: `settle`), or held by a gateway whose lease ran out: it is then `TAKEN_OVER`,
atomically (of two takers one wins). The taker does not know whether the turn ran in Rasa; it
sends the turn again with `once` and Rasa, which knows, answers from the conversation or runs it
(nlu/server/private_rest.py).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import Enum
from typing import Optional

from cryptography.fernet import Fernet, InvalidToken

from bot.channels.wechat import keys
from bot.gateway.journal import new_holder, sealer
from bot.gateway.stores import Store

log = logging.getLogger(__name__)

LEASE_TTL = 3.0
LEASE_EVERY = 1.0
POLL = 0.2
HELD = "held "
REPLIED = "replied"
DONE = "done"


class State(Enum):
    NEW = "new"                # this gateway claimed the push first: it holds it now
    TAKEN_OVER = "taken over"  # its holder died with it: this gateway holds it now
    HELD = "held"              # a live gateway has it
    REPLIED = "replied"        # answered with a passive reply
    DONE = "done"              # answered `success`


@dataclass(frozen=True)
class Found:
    state: State
    reply: Optional[str] = None  # REPLIED: the passive reply's text, while it is kept


def reply_cipher(secret: str) -> Fernet:
    """The key of the kept passive replies, derived from a secret every gateway holds."""
    return sealer("wechat passive replies", secret)


class Turns:
    def __init__(self, store: Store, secret: str, holder: Optional[str] = None, lease_ttl: float = LEASE_TTL,
                 lease_every: float = LEASE_EVERY) -> None:
        self.store = store
        self.holder = holder or new_holder()
        self.lease_ttl = lease_ttl
        self.lease_every = lease_every
        self._cipher = reply_cipher(secret)

    @property
    def mine(self) -> str:
        return HELD + self.holder

    async def take(self, key: str) -> Found:
        """The push's state; NEW and TAKEN_OVER mean this gateway holds it now (then `hold` it:
        its lease lives `lease_ttl` seconds unless renewed)."""
        await self._lease(key)
        if await self.store.claim(key, keys.CLAIM_TTL, self.mine):
            return Found(State.NEW)
        value = await self.store.get(key)
        if value is None:  # expired in between
            return Found(State.NEW) if await self.store.claim(key, keys.CLAIM_TTL, self.mine) else Found(State.HELD)
        if value == REPLIED:
            return Found(State.REPLIED, await self._kept_reply(key))
        if not value.startswith(HELD):
            return Found(State.DONE)
        holder = value[len(HELD):]
        if holder != self.holder and await self.store.get(keys.lease(key, holder)) is None \
                and await self.store.swap(key, value, self.mine):
            log.warning("a WeChat push's gateway died with it: taken over")
            return Found(State.TAKEN_OVER)
        return Found(State.HELD)

    async def settle(self, key: str, until: float) -> Found:
        """`take` again every 0.2 s while a live gateway holds the push, until `until` (event-loop time)."""
        loop = asyncio.get_running_loop()
        found = Found(State.HELD)
        while found.state is State.HELD and loop.time() + POLL < until:
            await asyncio.sleep(POLL)
            found = await self.take(key)
        return found

    def hold(self, key: str) -> "Hold":
        """The lease of a push this gateway took, renewed until it is released or abandoned."""
        return Hold(self, key)

    async def _lease(self, key: str) -> None:
        """This gateway's lease on the push at `key` (written before it claims the push)."""
        await self.store.set(keys.lease(key, self.holder), "1", self.lease_ttl)

    def seal(self, reply: str) -> str:
        return self._cipher.encrypt(reply.encode("utf-8")).decode()

    async def _kept_reply(self, key: str) -> Optional[str]:
        sealed = await self.store.get(keys.reply(key))
        if sealed is None:
            return None
        try:
            return self._cipher.decrypt(sealed.encode()).decode("utf-8")
        except InvalidToken:  # sealed under another AppSecret
            return None


class Hold:
    def __init__(self, turns: Turns, key: str) -> None:
        self.turns = turns
        self.key = key
        self._abandoned = False
        self._renewing = asyncio.ensure_future(self._renew())

    async def release(self, reply: Optional[str]) -> None:
        """The answer is out: `reply` is the passive reply's text, None when `success` went back.
        A store error is logged, not raised (the answer is out either way)."""
        self.abandon()
        store = self.turns.store
        try:
            if reply is not None:
                await store.set(keys.reply(self.key), self.turns.seal(reply), keys.REPLY_TTL)
            if await store.swap(self.key, self.turns.mine, REPLIED if reply is not None else DONE):
                await store.delete(keys.lease(self.key, self.turns.holder))
        except Exception as error:
            log.warning("a WeChat push was not marked answered (%s): a resend of it is taken over", type(error).__name__)

    def abandon(self) -> None:
        """Stop renewing the lease: a resend takes the push over once the lease has run out."""
        self._abandoned = True
        self._renewing.cancel()

    async def _renew(self) -> None:
        """Renew the lease until abandoned. The flag, not only the cancel, ends it: a cancel that
        lands inside a redis-py call can be swallowed there (bot/gateway/journal.py)."""
        store, turns = self.turns.store, self.turns
        while not self._abandoned:
            await asyncio.sleep(turns.lease_every)
            if self._abandoned:
                return
            try:
                if await store.get(self.key) != turns.mine:
                    log.warning("a WeChat push this gateway held was taken over by another")
                    return
                await turns._lease(self.key)
            except Exception as error:  # the store is away: try again next time
                log.warning("the lease of a WeChat push was not renewed (%s)", type(error).__name__)


