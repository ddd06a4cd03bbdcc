"""Notice-store fixtures on SQLite and on the real PostgreSQL server."""
from __future__ import annotations

import pytest

from ledger.store import Ledger
from notices.store import NoticeStore
from tests.ledger.conftest import database_url, ledger  # noqa: F401 - the ledger fixtures, re-used

__all__ = ["database_url", "ledger"]


@pytest.fixture
def store(ledger: Ledger) -> NoticeStore:
    return NoticeStore(ledger.engine)
