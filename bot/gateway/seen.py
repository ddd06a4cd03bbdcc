"""Graduates who write are reachable: the gateway notes each identity that writes (at most once a
day per identity, one Redis SET NX), and a push worker's reconciler takes the list and clears the
database's `blocked` mark of anyone on it (NoticeStore.reactivate). So a graduate who blocked the
Telegram bot or unfollowed the WeChat account and comes back gets broadcasts again, even when the
gateway's own short-lived marks were lost (a Redis restart)."""
from __future__ import annotations

from typing import List

from bot.gateway.stores import Store

SEEN_LIST = "recipients:seen"
SEEN_EVERY = 24 * 3600.0  # an identity is noted at most this often
LIST_TTL = 7 * 24 * 3600.0  # the list waits this long for a worker (the embedded one, or any)


async def note_seen(store: Store, identity: str) -> None:
    if await store.claim(f"seen:{identity}", SEEN_EVERY):
        await store.append(SEEN_LIST, identity, LIST_TTL)


async def take_seen(store: Store) -> List[str]:
    return list(dict.fromkeys(await store.drain(SEEN_LIST)))
