"""The registration actions when the ledger fails: a short answer, never silence, state kept."""
from __future__ import annotations

import asyncio
from typing import List

from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError

from actions.registration.action import UNAVAILABLE, guarded
from db.crypto import CipherError


def test_database_down_or_unreadable_data_gets_an_answer_and_keeps_state() -> None:
    for error in (OperationalError("SELECT 1", {}, Exception("connection refused")), CipherError("wrong keys")):
        dispatcher = CollectingDispatcher()

        async def failing() -> List[EventType]:
            raise error

        events = asyncio.run(guarded(dispatcher, failing()))
        assert events == []  # no slot changes: the same message can simply be sent again
        assert [m["text"] for m in dispatcher.messages] == [UNAVAILABLE]
        assert "12333" in UNAVAILABLE
