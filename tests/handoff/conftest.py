"""Handoff and unanswered-question fixtures on SQLite and on the real PostgreSQL server."""
from __future__ import annotations

import pytest

from handoff.store import HandoffStore
from ledger.store import Ledger
from tests.ledger.conftest import database_url, ledger  # noqa: F401 - the ledger fixtures, re-used
from unanswered.store import UnansweredStore

__all__ = ["database_url", "ledger"]


@pytest.fixture
def cases(ledger: Ledger) -> HandoffStore:
    return HandoffStore(ledger.engine, ledger.cipher)


@pytest.fixture
def questions(ledger: Ledger) -> UnansweredStore:
    return UnansweredStore(ledger.engine, ledger.cipher)
