"""Ledger fixtures: an empty ledger on SQLite (file in tmp) and on the real PostgreSQL server,
in a database of its own that is dropped afterwards."""
from __future__ import annotations

from typing import Iterator

import pytest

from db.crypto import new_key
from ledger.config import LedgerSettings
from ledger.store import Ledger
from tests.databases import both_databases

HASH_KEY = b"k" * 32


def settings_for(url: str) -> LedgerSettings:
    return LedgerSettings(database_url=url, keys=[new_key()], hash_key=HASH_KEY)


database_url = both_databases("ledger")


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    opened = Ledger.open(settings_for(database_url))
    yield opened
    opened.close()
