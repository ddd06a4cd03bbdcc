"""The database engine and what every store's queries share. One data layer for both databases:
SQLite (embedded default) and PostgreSQL (production), through SQLAlchemy Core with bound
parameters only."""
from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

from sqlalchemy import create_engine, event, false, or_, true
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.sql.elements import ColumnElement

log = logging.getLogger(__name__)


def in_districts(column: ColumnElement, districts: Optional[Sequence[Optional[str]]]) -> ColumnElement:
    """The condition of a console scope on a district column: None, everything; else the listed
    districts, a None among them standing for rows of unknown district (NULL)."""
    if districts is None:
        return true()
    named = [d for d in districts if d is not None]
    conditions = [column.in_(named)] if named else []
    if None in districts:
        conditions.append(column.is_(None))
    return or_(*conditions) if conditions else false()


def storable(value: str) -> bool:
    """Text the database can keep: no NUL (PostgreSQL refuses it) and no lone surrogate (not UTF-8)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def now() -> datetime:
    return datetime.now(timezone.utc)


def utc(moment: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite hands back naive UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


# SQLite's own files beside the database: they hold the same data
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_sqlite_file(url: str) -> None:
    """Create the database file of a SQLite URL (and its folder, 0700) readable and writable by
    its owner only (0600), before SQLite would create it under the process's umask (0644: anyone
    on the machine could read session ids and difficulty kinds); an existing file, and its -wal
    and -shm files, open to others are made 0600. SQLite gives the files it creates later the
    database file's mode. Nothing to do for an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for each in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
        if each.exists() and each.stat().st_mode & 0o077:
            try:
                each.chmod(0o600)
                log.warning("%s was open to other accounts; made private (0600)", each)
            except OSError as error:  # another account's file
                log.warning("%s is open to other accounts and cannot be made private: %s", each, error)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            # WAL lets readers and one writer work at once; the busy timeout makes racing writers wait
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
            # take the write lock at the start, so read-then-write transactions cannot interleave
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=5)
    event.listen(engine, "connect", _durable_commits)
    return engine


# A server tuned with synchronous_commit=off acknowledges a commit before it is written, and a crash
# (or `pg_ctl stop -m immediate`) undoes the last ones. What the ledger commits is acted on at once:
# a push delivery claimed (pending → sending) is then sent, a confirmed registration is shown to the
# graduate. A claim undone after its send makes the row `pending` again, and it is sent twice. So
# the ledger's sessions commit synchronously whatever the server's default; a stricter setting
# (on, remote_write, remote_apply) is left as it is.
DURABLE_COMMITS = ("SELECT set_config('synchronous_commit', 'on', false) "
                   "WHERE current_setting('synchronous_commit') = 'off'")


def _durable_commits(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute(DURABLE_COMMITS)
    cursor.close()
    dbapi_connection.commit()  # a session setting made in a transaction lasts only once committed
