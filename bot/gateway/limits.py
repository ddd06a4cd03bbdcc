"""Rate limits: token buckets in the shared Store (Redis with REDIS_URL, so every replica drains
the same bucket; in-process otherwise). A limit is a budget of `count` requests per `seconds`,
spent in a burst or spread out, refilled evenly.

A limit is a guard, never in the way of an answer: when the store is away (a Redis restart), the
request is let through."""
from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass
from typing import Optional

from bot.gateway.stores import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds:g}"


class Limiter:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def wait(self, key: str, rate: Rate) -> float:
        """0.0 when a request under `key` may go now (and it is counted), else the seconds to wait."""
        try:
            return await self.store.take_token(f"rate:{key}", rate.count, rate.per_second)
        except Exception as error:  # the store is away: let it through
            log.warning("rate limit not checked (%s)", type(error).__name__)
            return 0.0


def retry_after(wait: float) -> str:
    """The Retry-After header for a wait of `wait` seconds: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait)))


def address_key(host: Optional[str]) -> str:
    """Whom a per-address limit counts: the IPv4 address, or the /64 of an IPv6 one (what one
    subscriber is given); anything else as it is."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
