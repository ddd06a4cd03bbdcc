"""Test databases on the real PostgreSQL server: each test run creates its own database, named
after the test's purpose and a random suffix, and drops it afterwards.

TEST_POSTGRES_URL names the server's maintenance database (default: postgres@127.0.0.1:5432,
trust auth, as on the CI machine and in deploy/test-services.yml)."""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, text

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def postgres_database(purpose: str) -> Iterator[str]:
    name = f"test_{purpose}_{secrets.token_hex(4)}"
    admin = create_engine(ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
