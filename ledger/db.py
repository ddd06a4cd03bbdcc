"""The ledger's tables (their current shape) and the database engine.

One data layer for both databases: SQLite (embedded default) and PostgreSQL (production), through
SQLAlchemy Core with bound parameters only. Columns ending in _enc hold Fernet ciphertext; columns
ending in _hash hold keyed hashes (see crypto.py). Nothing else holds a phone or ID number.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    false,
    or_,
    true,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.sql.elements import ColumnElement

log = logging.getLogger(__name__)
metadata = MetaData()

registrations = Table(
    "registrations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(20), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),
    # the channel identity that made the record (wx:<openid>, tg:<chat>, web:<hash of the session>); NULL once deleted
    Column("identity", String(200), unique=True),
    Column("name_enc", Text),
    Column("phone_enc", Text),
    Column("phone_hash", String(64), unique=True),
    Column("id_enc", Text),
    Column("id_hash", String(64), unique=True),
    Column("school", String(100)),
    Column("major", String(100)),
    Column("degree", String(8)),
    Column("grad_year", Integer),
    Column("birth_year", Integer),
    Column("district", String(32)),
    Column("status", String(16)),
    Column("intention", String(100)),
    Column("preferred_districts", String(400)),
    Column("services", String(100)),
    Column("difficulty", Boolean, nullable=False, default=False),
    Column("difficulty_kind", String(32)),
    Column("consent_version", String(16)),
    Column("consented_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    # 'chat': the graduate registered in chat; 'import': handed over on the education commission's
    # list (五（一）), identity NULL until the graduate registers in chat and is joined to it
    Column("source", String(8), nullable=False, default="chat", server_default="chat"),
    Column("import_batch_id", Integer),
    # the handed-over list's entry (name, numbers, school … as the list gave them; Fernet JSON): what
    # stays when a graduate joined to it deletes their chat registration (importer.py)
    Column("listed_enc", Text),
)

import_batches = Table(
    "import_batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("filename", String(200), nullable=False),
    Column("staff", String(64), nullable=False),
    Column("total", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("matched", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("duplicates", Integer, nullable=False, default=0, server_default="0"),  # rows repeated within the file
    Column("district", String(32)),  # a district staff member's import; NULL: city-wide
)

# code → label of how staff tried to reach a graduate, and of the status they learned (五（八）)
CONTACT_METHODS = {"phone": "电话", "visit": "走访", "message": "短信/微信", "data": "数据比对"}
CONTACT_STATUSES = {"employed": "已就业", "seeking": "求职中", "study": "升学/出国", "no_wish": "暂无就业意愿",
                    "startup": "自主创业"}

# a chat registration's own answer (fields.STATUSES) as a contact status, until staff learn one:
# 灵活就业 counts as seeking, since ledger/followup.py still owes them the services (so the report,
# the contact lists and `ledger status --owed` agree)
CHAT_STATUSES = {"未就业": "seeking", "灵活就业": "seeking", "已就业": "employed", "暂无就业意愿": "no_wish"}

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registration_id", Integer, ForeignKey("registrations.id"), nullable=False),
    Column("contact_date", Date, nullable=False),
    Column("method", String(16), nullable=False),
    Column("reached", Boolean, nullable=False),
    Column("status", String(16)),
    Column("next_follow_up", Date),
    Column("note_enc", Text),
    Column("staff", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

follow_ups = Table(
    "follow_ups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registration_id", Integer, ForeignKey("registrations.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("service_date", Date, nullable=False),
    Column("note", Text),
    Column("staff", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

drafts = Table(
    "drafts",
    metadata,
    Column("identity", String(200), primary_key=True),
    Column("data_enc", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False),
)

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)


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
