"""The action server's one ledger, opened on start-up (server.py) or on first use, the stores on
its engine and keys, and how an action answers when the database cannot (guarded)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, TypeVar

from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from db.crypto import Cipher, CipherError
from ledger.config import LedgerConfigError, settings_from_env
from ledger.store import Ledger

log = logging.getLogger(__name__)

# the database down or unreachable, a stored value the keys cannot open, the ledger's settings wrong
STORE_ERRORS = (SQLAlchemyError, CipherError, LedgerConfigError)

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


async def guarded(dispatcher: CollectingDispatcher, work: Awaitable[List[EventType]], feature: str, unavailable: str) -> List[EventType]:
    """`work`, or when the store fails (STORE_ERRORS) the short answer `unavailable` instead of
    silence, and no events: the conversation's state is left as it was, so the same message can
    be sent again."""
    try:
        return await work
    except STORE_ERRORS as error:
        log.error("%s unavailable: %s", feature, type(error).__name__)
        dispatcher.utter_message(text=unavailable)
        return []
