"""Ledger fixtures: an empty ledger on SQLite (file in tmp) and on the real PostgreSQL server,
in a database of its own that is dropped afterwards."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from db.crypto import new_key
from ledger.config import LedgerSettings
from ledger.store import Ledger
from tests.databases import postgres_database

HASH_KEY = b"k" * 32


def settings_for(url: str) -> LedgerSettings:
    return LedgerSettings(database_url=url, keys=[new_key()], hash_key=HASH_KEY)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    else:
        with postgres_database("ledger") as url:
            yield url


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    opened = Ledger.open(settings_for(database_url))
    yield opened
    opened.close()
