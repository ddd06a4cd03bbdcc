"""Test databases on the real PostgreSQL server: each test run creates its own database, named
after the test's purpose and a random suffix, and drops it afterwards.

TEST_POSTGRES_URL names the server's maintenance database (default: postgres@127.0.0.1:5432,
trust auth, as on the CI machine and in deploy/test-services.yml).

Tests that stop or crash PostgreSQL use a server of their own (`PrivatePostgres`: initdb and
pg_ctl on a free port), never the machine's shared one."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence

import pytest
from sqlalchemy import create_engine, text

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# fast, and nothing the server has written to the kernel is lost when it crashes (only a crash of the
# machine would lose it). synchronous_commit=off acknowledges a commit before writing it, so a crash
# undoes the last ones; kept as a server tuned for speed might have it: the ledger's own sessions
# commit synchronously (db/tables.py).
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200")


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


def both_databases(purpose: str) -> Callable[..., Iterator[str]]:
    """A `database_url` fixture run once on SQLite (a file in tmp_path) and once on PostgreSQL (a
    database of its own, named after `purpose`): `database_url = both_databases("ledger")`."""

    @pytest.fixture(params=["sqlite", "postgresql"])
    def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
        if request.param == "sqlite":
            yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        else:
            with postgres_database(purpose) as url:
                yield url

    return database_url


def private_postgres_missing() -> Optional[str]:
    missing = [name for name in ("initdb", "pg_ctl", "runuser") if shutil.which(name) is None]
    return f"{', '.join(missing)} not installed" if missing else None


class PrivatePostgres:
    """A PostgreSQL server of the tests' own (initdb refuses root: it runs as `postgres`);
    `settings` are added to (and override) FAST_SETTINGS."""

    def __init__(self, settings: Sequence[str] = ()) -> None:
        from tests.conftest import free_port  # tests.conftest imports this module

        self.dir = Path(tempfile.mkdtemp(prefix="private-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} " + " ".join(
            f"-c {setting}" for setting in (*FAST_SETTINGS, *settings))
        self._ctl = ["runuser", "-u", "postgres", "--", "pg_ctl", "-D", str(self.dir / "data"), "-l",
                     str(self.dir / "postgres.log"), "-o", options]

    def init(self) -> None:
        self._run(["runuser", "-u", "postgres", "--", "initdb", "-D", str(self.dir / "data"), "-U", "postgres",
                   "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])

    def start(self) -> None:
        self._run(self._ctl + ["-w", "-t", "30", "start"])

    def stop(self, mode: str = "fast") -> None:
        """`immediate` is a crash: no checkpoint, crash recovery on the next start."""
        self._run(self._ctl + ["-w", "-m", mode, "stop"])

    def restart(self) -> None:
        """Stopped the hard way (as a crash would) and started again."""
        self.stop("immediate")
        self.start()

    def create_database(self, name: str) -> str:
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    def remove(self) -> None:
        subprocess.run(self._ctl + ["-m", "immediate", "stop"], capture_output=True, timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _run(command: List[str]) -> None:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{' '.join(command[3:5])}: {result.stdout}{result.stderr}"
