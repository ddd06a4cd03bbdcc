"""Data files are private to the account that runs the assistant: the embedded ledger (SQLite and
its -wal/-shm files), its folder and key file, and the servers' logs are created 0600 (folders
0700) whatever the umask, and an existing ledger readable by others is made private on start."""
from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import text

from devstack.console import running_console
from ledger.config import settings_from_env
from ledger.model import Registration
from ledger.store import Ledger
from tests.conftest import free_port
from tests.ledger.conftest import settings_for


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual umask, which leaves new files readable by everyone (0644)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_embedded_ledger_its_folder_and_keys_are_created_private(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    env = {"DATABASE_URL": f"sqlite:///{folder / 'ledger.sqlite3'}", "LEDGER_KEY_FILE": str(folder / "ledger-keys.json")}
    ledger = Ledger.open(settings_from_env(env))
    try:
        ledger.save("tg:1", Registration(name="王芳", phone="13912345678", district="海淀区"))
        with writing(ledger):
            files = sorted(path.name for path in folder.iterdir())
            assert files == ["ledger-keys.json", "ledger.sqlite3", "ledger.sqlite3-shm", "ledger.sqlite3-wal"]
            assert {name: mode(folder / name) for name in files} == {name: 0o600 for name in files}
        assert mode(folder) == 0o700
    finally:
        ledger.close()


@contextmanager
def writing(ledger: Ledger) -> Iterator[None]:
    """Inside a write transaction: SQLite's -wal and -shm files exist (the last connection to
    close removes them)."""
    with ledger.engine.begin() as conn:
        conn.execute(text("DELETE FROM drafts WHERE identity = 'nobody'"))
        yield


def test_an_existing_ledger_readable_by_others_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    Ledger.open(settings_for(f"sqlite:///{path}")).close()
    for name in ("ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm"):
        (tmp_path / name).touch()
        os.chmod(tmp_path / name, 0o644)
    ledger = Ledger.open(settings_for(f"sqlite:///{path}"))
    try:
        with writing(ledger):
            assert [mode(tmp_path / name) for name in ("ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm")] == [0o600] * 3
    finally:
        ledger.close()


def test_in_memory_and_postgresql_ledgers_need_no_file(tmp_path: Path) -> None:
    Ledger.open(settings_for("sqlite://")).close()
    Ledger.open(settings_for("sqlite:///:memory:")).close()
    assert list(tmp_path.iterdir()) == []


def test_the_logs_of_the_servers_are_private(tmp_path: Path) -> None:
    with running_console(free_port(), tmp_path / "logs"):
        pass
    logs = list((tmp_path / "logs").iterdir())
    assert logs and all(mode(log) == 0o600 for log in logs)
