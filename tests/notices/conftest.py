"""Notice-store fixtures on SQLite and on the real PostgreSQL server."""
from __future__ import annotations

from typing import Iterator

import pytest

from ledger.store import Ledger
from notices.store import NoticeStore
from tests.ledger.conftest import database_url, settings_for  # noqa: F401 - fixture re-used

__all__ = ["database_url"]


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:  # noqa: F811
    opened = Ledger.open(settings_for(database_url))
    yield opened
    opened.close()


@pytest.fixture
def store(ledger: Ledger) -> NoticeStore:
    return NoticeStore(ledger.engine)
