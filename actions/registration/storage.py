"""The action server's one ledger, opened on start-up (server.py) or on first use."""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional, TypeVar

from ledger.config import settings_from_env
from ledger.store import Ledger

T = TypeVar("T")
_ledger: Optional[Ledger] = None


def open_ledger() -> Ledger:
    global _ledger
    if _ledger is None:
        _ledger = Ledger.open(settings_from_env())
    return _ledger


async def run(call: Callable[..., T], *args: Any) -> T:
    """A ledger call off the event loop, so one slow database turn does not stall the others."""
    return await asyncio.to_thread(call, *args)
