"""The action server's one ledger, opened on start-up (server.py) or on first use."""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, Optional, TypeVar

from sqlalchemy.engine import Engine

from db.crypto import Cipher
from ledger.config import settings_from_env
from ledger.store import Ledger

T = TypeVar("T")
_ledger: Optional[Ledger] = None
_stores: Dict[Any, Any] = {}


def open_ledger() -> Ledger:
    global _ledger
    if _ledger is None:
        _ledger = Ledger.open(settings_from_env())
    return _ledger


def district_of(identity: str) -> Optional[str]:
    """The district of the registration made from `identity`, if there is one."""
    stored = open_ledger().find(identity)
    return stored.registration.district if stored else None


def ledger_store(kind: Callable[[Engine, Cipher], T]) -> T:
    """One `kind` store (handoff cases, unanswered questions …) on the ledger's engine and keys."""
    if kind not in _stores:
        ledger = open_ledger()
        _stores[kind] = kind(ledger.engine, ledger.cipher)
    return _stores[kind]  # type: ignore[no-any-return]


async def run(call: Callable[..., T], *args: Any) -> T:
    """A ledger call off the event loop, so one slow database turn does not stall the others."""
    return await asyncio.to_thread(call, *args)
