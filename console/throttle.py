"""Slowing down password guessing, in memory (one console process; a restart forgets).

Per name and address — the name as typed, whether or not an account has it, and the client's
address (proxies.py): the first `free` failures within `window` seconds cost nothing; after them,
each attempt must come at least step·2^(k−1) seconds (at most `most`) after that pair's last
failure, k being its failures beyond `free`. An attempt sooner is refused (429 with Retry-After)
without a password check. So a known and an unknown name are answered alike, and guesses from
other addresses never hold a staff member back: there is no account lock a stranger could set.

Per address, whatever the names: each failure within `window` adds `address_step` seconds (at most
`address_most`) before that address's next attempt is checked, which slows trying many names.

Failures older than `window` are forgotten, and a success forgets the pair's. At most `entries`
pairs and as many addresses are kept (the longest-quiet are forgotten first).
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable, Generic, Hashable, List, Tuple, TypeVar

Key = TypeVar("Key", bound=Hashable)
MAX_NAME = 64  # longer names are no account's (at most 32); their start is their key


class RecentFailures(Generic[Key]):
    """Times of the failures of each key within the last `window` seconds, for at most `entries` keys."""

    def __init__(self, window: float, entries: int, clock: Callable[[], float]) -> None:
        self.window = window
        self.entries = entries
        self.clock = clock
        self._times: "OrderedDict[Key, List[float]]" = OrderedDict()

    def of(self, key: Key) -> List[float]:
        cutoff = self.clock() - self.window
        return [t for t in self._times.get(key, []) if t > cutoff]

    def add(self, key: Key) -> int:
        """Record a failure now; the key's recent failures, this one included."""
        times = self.of(key) + [self.clock()]
        self._times[key] = times
        self._times.move_to_end(key)
        while len(self._times) > self.entries:  # forget the longest-quiet key first
            self._times.popitem(last=False)
        return len(times)

    def forget(self, key: Key) -> None:
        self._times.pop(key, None)

    def drop_last(self, key: Key) -> None:
        """Take back the key's latest failure (an attempt counted before it was checked, that succeeded)."""
        times = self._times.get(key)
        if times:
            times.pop()


class LoginThrottle:
    def __init__(self, free: int = 5, step: float = 1.0, most: float = 900.0, window: float = 900.0,
                 address_step: float = 0.5, address_most: float = 8.0, entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free = free
        self.step = step
        self.most = most
        self.address_step = address_step
        self.address_most = address_most
        self.clock = clock
        self._pairs: RecentFailures[Tuple[str, str]] = RecentFailures(window, entries, clock)
        self._addresses: RecentFailures[str] = RecentFailures(window, entries, clock)

    def wait(self, name: str, address: str) -> float:
        """Seconds before `name` may be tried again from `address` (0: now)."""
        times = self._pairs.of(_pair(name, address))
        beyond = len(times) - self.free
        if beyond <= 0:
            return 0.0
        return max(0.0, times[-1] + min(self.step * 2 ** (beyond - 1), self.most) - self.clock())

    def delay(self, address: str) -> float:
        """Seconds to wait before checking an attempt from `address`, whatever the name."""
        return min(self.address_step * len(self._addresses.of(address)), self.address_most)

    def attempt(self, name: str, address: str) -> int:
        """Count an attempt as failed before it is checked, so that attempts sent at once cannot all
        pass wait(); how many `name` has had from `address` within the window, this one included."""
        self._addresses.add(address)
        return self._pairs.add(_pair(name, address))

    def succeeded(self, name: str, address: str) -> None:
        """The attempt succeeded: the pair's failures are forgotten, and this one is not the address's."""
        self._pairs.forget(_pair(name, address))
        self._addresses.drop_last(address)


def _pair(name: str, address: str) -> Tuple[str, str]:
    return name[:MAX_NAME], address
