"""Per-address slow-down of login attempts: each failed login from an address in the last
`window` seconds adds `step` seconds (up to `most`) before that address's next attempt is
checked. Kept in memory: one console process (a restart forgets, the per-user lock does not)."""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable, List


class LoginThrottle:
    def __init__(self, step: float = 0.5, most: float = 8.0, window: float = 900.0, addresses: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.step = step
        self.most = most
        self.window = window
        self.addresses = addresses
        self.clock = clock
        self._failures: "OrderedDict[str, List[float]]" = OrderedDict()

    def delay(self, address: str) -> float:
        """Seconds to wait before checking an attempt from `address`."""
        return min(self.step * len(self._recent(address)), self.most)

    def failed(self, address: str) -> None:
        self._failures[address] = self._recent(address) + [self.clock()]
        self._failures.move_to_end(address)
        while len(self._failures) > self.addresses:  # forget the longest-quiet address first
            self._failures.popitem(last=False)

    def _recent(self, address: str) -> List[float]:
        cutoff = self.clock() - self.window
        return [t for t in self._failures.get(address, []) if t > cutoff]
