"""Schema migrations: numbered steps, each applied once, in order, inside one transaction, and
recorded in schema_migrations. Run on start-up of every process that opens the ledger and by
`python -m ledger migrate`; on PostgreSQL an advisory lock makes concurrent starts wait for each
other instead of racing.

A step describes the schema as it was at that version (its own DDL), never the current tables
in db.py, so replaying history on an empty database always gives the same result.
"""
from __future__ import annotations

import logging
from typing import Callable, List, NamedTuple, Tuple

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine

from db.engine import now

from db.sessions import web_identity
from db.tables import schema_migrations

log = logging.getLogger(__name__)
Step = Callable[[Connection], None]
_LOCK_ID = 4_711_202_203  # any constant shared by every process migrating this database


class _Types(NamedTuple):
    """The column types the steps' DDL needs, per database."""
    serial: str
    big: str
    stamp: str


def _types(conn: Connection) -> _Types:
    if conn.dialect.name == "postgresql":
        return _Types("SERIAL PRIMARY KEY", "BIGSERIAL PRIMARY KEY", "TIMESTAMP WITH TIME ZONE")
    return _Types("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER PRIMARY KEY AUTOINCREMENT", "DATETIME")


def _v1_initial(conn: Connection) -> None:
    serial, _, stamp = _types(conn)
    statements = [
        f"""CREATE TABLE registrations (
            id {serial},
            ref VARCHAR(20) NOT NULL UNIQUE,
            channel VARCHAR(16) NOT NULL,
            identity VARCHAR(200) UNIQUE,
            name_enc TEXT, phone_enc TEXT, phone_hash VARCHAR(64) UNIQUE,
            id_enc TEXT, id_hash VARCHAR(64) UNIQUE,
            school VARCHAR(100), major VARCHAR(100), degree VARCHAR(8),
            grad_year INTEGER, birth_year INTEGER, district VARCHAR(32), status VARCHAR(16),
            intention VARCHAR(100), preferred_districts VARCHAR(400), services VARCHAR(100),
            difficulty BOOLEAN NOT NULL DEFAULT FALSE, difficulty_kind VARCHAR(32),
            consent_version VARCHAR(16), consented_at {stamp},
            created_at {stamp} NOT NULL, updated_at {stamp} NOT NULL, deleted_at {stamp})""",
        "CREATE INDEX ix_registrations_district ON registrations (district)",
        f"""CREATE TABLE follow_ups (
            id {serial},
            registration_id INTEGER NOT NULL REFERENCES registrations (id),
            kind VARCHAR(16) NOT NULL, service_date DATE NOT NULL, note TEXT,
            staff VARCHAR(64) NOT NULL, created_at {stamp} NOT NULL)""",
        "CREATE INDEX ix_follow_ups_registration_id ON follow_ups (registration_id)",
        f"""CREATE TABLE drafts (
            identity VARCHAR(200) PRIMARY KEY, data_enc TEXT NOT NULL, updated_at {stamp} NOT NULL)""",
        f"""CREATE TABLE audit_log (
            id {serial}, at {stamp} NOT NULL, actor VARCHAR(64) NOT NULL,
            action VARCHAR(32) NOT NULL, detail TEXT NOT NULL)""",
    ]
    for statement in statements:
        conn.exec_driver_sql(statement)


def _v2_notices(conn: Connection) -> None:
    """Notices, subscriptions, broadcasts and their deliveries (notices/, push/)."""
    serial, big, stamp = _types(conn)
    statements = [
        f"""CREATE TABLE notices (
            id {serial},
            kind VARCHAR(16) NOT NULL,
            title VARCHAR(200) NOT NULL, body TEXT NOT NULL,
            district VARCHAR(32), industry VARCHAR(64), degree VARCHAR(8),
            event_date DATE, event_time VARCHAR(32), place VARCHAR(200), online_link VARCHAR(500),
            organiser VARCHAR(200),
            valid_from DATE NOT NULL, valid_until DATE NOT NULL,
            status VARCHAR(16) NOT NULL, created_by VARCHAR(64) NOT NULL,
            created_at {stamp} NOT NULL, published_at {stamp})""",
        "CREATE INDEX ix_notices_kind_status ON notices (kind, status, valid_until)",
        f"""CREATE TABLE subscriptions (
            id {serial},
            identity VARCHAR(200) NOT NULL, channel VARCHAR(16) NOT NULL, kind VARCHAR(16) NOT NULL,
            districts VARCHAR(400), industries VARCHAR(400), degree VARCHAR(8),
            created_at {stamp} NOT NULL, updated_at {stamp} NOT NULL,
            UNIQUE (identity, kind))""",
        "CREATE INDEX ix_subscriptions_kind ON subscriptions (kind)",
        f"""CREATE TABLE recipients (
            identity VARCHAR(200) PRIMARY KEY, channel VARCHAR(16) NOT NULL,
            inactive VARCHAR(16), inactive_at {stamp})""",
        f"""CREATE TABLE broadcasts (
            id {serial},
            notice_id INTEGER NOT NULL REFERENCES notices (id),
            audience TEXT NOT NULL, status VARCHAR(24) NOT NULL,
            scheduled_at {stamp}, created_by VARCHAR(64) NOT NULL, approved_by VARCHAR(64),
            total INTEGER NOT NULL DEFAULT 0,
            created_at {stamp} NOT NULL, started_at {stamp}, finished_at {stamp})""",
        f"""CREATE TABLE deliveries (
            id {big},
            broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
            identity VARCHAR(200) NOT NULL, channel VARCHAR(16) NOT NULL,
            purpose VARCHAR(16) NOT NULL,
            status VARCHAR(16) NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            last_error VARCHAR(200), next_attempt_at {stamp}, sent_at {stamp},
            UNIQUE (broadcast_id, identity))""",
        "CREATE INDEX ix_deliveries_broadcast_status ON deliveries (broadcast_id, status)",
    ]
    for statement in statements:
        conn.exec_driver_sql(statement)


def _v3_staff(conn: Connection) -> None:
    """Staff accounts and sessions of the web console (console/)."""
    stamp = _types(conn).stamp
    statements = [
        f"""CREATE TABLE staff_users (
            username VARCHAR(64) PRIMARY KEY,
            password_hash VARCHAR(200) NOT NULL,
            role VARCHAR(16) NOT NULL CHECK (role IN ('city', 'district')),
            district VARCHAR(32), identity VARCHAR(200),
            failed_logins INTEGER NOT NULL DEFAULT 0, locked_until {stamp},
            created_at {stamp} NOT NULL,
            CHECK (role = 'city' OR district IS NOT NULL))""",
        f"""CREATE TABLE staff_sessions (
            id VARCHAR(64) PRIMARY KEY,
            username VARCHAR(64) NOT NULL REFERENCES staff_users (username),
            csrf_token VARCHAR(64) NOT NULL,
            created_at {stamp} NOT NULL, expires_at {stamp} NOT NULL)""",
        "CREATE INDEX ix_staff_sessions_expires_at ON staff_sessions (expires_at)",
    ]
    for statement in statements:
        conn.exec_driver_sql(statement)


def _v4_casework(conn: Connection) -> None:
    """Handoffs to a person (cases and their messages) and the questions the assistant could not
    answer (handoff/, unanswered/)."""
    serial, big, stamp = _types(conn)
    statements = [
        f"""CREATE TABLE handoffs (
            id {serial},
            identity VARCHAR(200) NOT NULL, channel VARCHAR(16) NOT NULL, district VARCHAR(32),
            status VARCHAR(16) NOT NULL CHECK (status IN ('open', 'closed')),
            opened_at {stamp} NOT NULL, last_inbound_at {stamp} NOT NULL, updated_at {stamp} NOT NULL,
            claimed_by VARCHAR(64), closed_at {stamp}, closed_by VARCHAR(64))""",
        "CREATE UNIQUE INDEX ux_handoffs_open_identity ON handoffs (identity) WHERE status = 'open'",
        "CREATE INDEX ix_handoffs_status ON handoffs (status, updated_at)",
        f"""CREATE TABLE handoff_messages (
            id {big},
            handoff_id INTEGER NOT NULL REFERENCES handoffs (id),
            at {stamp} NOT NULL,
            author VARCHAR(16) NOT NULL CHECK (author IN ('graduate', 'assistant', 'staff', 'system')),
            staff VARCHAR(64), text_enc TEXT NOT NULL,
            delivery VARCHAR(16), attempts INTEGER NOT NULL DEFAULT 0, lease_until {stamp},
            last_error VARCHAR(200), sent_at {stamp})""",
        "CREATE INDEX ix_handoff_messages_handoff ON handoff_messages (handoff_id, id)",
        "CREATE INDEX ix_handoff_messages_delivery ON handoff_messages (delivery)",
        f"""CREATE TABLE unanswered_questions (
            id {big},
            at {stamp} NOT NULL, channel VARCHAR(16) NOT NULL,
            text_hash VARCHAR(64) NOT NULL, text_enc TEXT NOT NULL,
            reason VARCHAR(16) NOT NULL, guess VARCHAR(64), confidence REAL,
            resolved_at {stamp}, resolved_by VARCHAR(64), resolution VARCHAR(16))""",
        "CREATE INDEX ix_unanswered_hash ON unanswered_questions (text_hash)",
        "CREATE INDEX ix_unanswered_open ON unanswered_questions (resolved_at, at)",
    ]
    for statement in statements:
        conn.exec_driver_sql(statement)


def _v5_unanswered_district(conn: Connection) -> None:
    """The asker's registered district on each unanswered question, for the console's district scope."""
    conn.exec_driver_sql("ALTER TABLE unanswered_questions ADD COLUMN district VARCHAR(32)")
    conn.exec_driver_sql("CREATE INDEX ix_unanswered_district ON unanswered_questions (district, resolved_at)")


# every column holding a channel identity (wx:<openid>, tg:<chat>, web:<session>) at step 6
_IDENTITY_COLUMNS = [("registrations", "identity"), ("drafts", "identity"), ("handoffs", "identity"),
                     ("subscriptions", "identity"), ("recipients", "identity"), ("deliveries", "identity"),
                     ("staff_users", "identity")]


def _v6_hashed_web_sessions(conn: Connection) -> None:
    """Web-chat identities held the session id itself (web:<session>, the cookie or, once the
    gateway signed its cookies, the id without the signature): replaced by its hash
    (db/sessions.py), which the gateway sends from now on. WeChat and Telegram identities are
    addresses the push worker sends to, not secrets: kept."""
    for table, column in _IDENTITY_COLUMNS:
        found = conn.execute(text(f"SELECT DISTINCT {column} FROM {table} WHERE {column} LIKE 'web:%'")).scalars().all()
        for identity in found:
            conn.execute(text(f"UPDATE {table} SET {column} = :hashed WHERE {column} = :plain"),
                         {"hashed": web_identity(identity.split(":", 1)[1]), "plain": identity})


def _v7_real_name_list(conn: Connection) -> None:
    """The real-name list (五（一）、五（八）): graduates handed over by the education commission
    are imported as registrations of source 'import' (no channel identity until the graduate
    registers in chat and is joined to the record); each import is a batch; staff record every
    contact attempt with what they learned and when to follow up next."""
    serial, _, stamp = _types(conn)
    statements = [
        "ALTER TABLE registrations ADD COLUMN source VARCHAR(8) NOT NULL DEFAULT 'chat'",
        "ALTER TABLE registrations ADD COLUMN import_batch_id INTEGER",
        "CREATE INDEX ix_registrations_source ON registrations (source, district)",
        f"""CREATE TABLE import_batches (
            id {serial},
            filename VARCHAR(200) NOT NULL, staff VARCHAR(64) NOT NULL,
            total INTEGER NOT NULL, added INTEGER NOT NULL, matched INTEGER NOT NULL,
            rejected INTEGER NOT NULL, created_at {stamp} NOT NULL)""",
        f"""CREATE TABLE contacts (
            id {serial},
            registration_id INTEGER NOT NULL REFERENCES registrations (id),
            contact_date DATE NOT NULL,
            method VARCHAR(16) NOT NULL CHECK (method IN ('phone', 'visit', 'message', 'data')),
            reached BOOLEAN NOT NULL,
            status VARCHAR(16) CHECK (status IN ('employed', 'seeking', 'study', 'no_wish', 'startup')),
            next_follow_up DATE,
            note_enc TEXT,
            staff VARCHAR(64) NOT NULL, created_at {stamp} NOT NULL)""",
        "CREATE INDEX ix_contacts_registration ON contacts (registration_id, contact_date)",
        "CREATE INDEX ix_contacts_next_follow_up ON contacts (next_follow_up)",
    ]
    for statement in statements:
        conn.exec_driver_sql(statement)


def _v8_list_entries(conn: Connection) -> None:
    """What the handed-over list said about each graduate (listed_enc: encrypted JSON), so that a
    graduate who registered in chat and then deletes that registration leaves the list entry as it
    was handed over (the bureau must keep it, 五（一）); per import batch, the rows repeated within
    the file and the district of a district staff member's import (NULL: city-wide)."""
    statements = [
        "ALTER TABLE registrations ADD COLUMN listed_enc TEXT",
        "ALTER TABLE import_batches ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE import_batches ADD COLUMN district VARCHAR(32)",
    ]
    for statement in statements:
        conn.exec_driver_sql(statement)


STEPS: List[Tuple[int, str, Step]] = [
    (1, "initial: registrations, follow-ups, drafts, audit log", _v1_initial),
    (2, "notices, subscriptions, recipients, broadcasts, deliveries", _v2_notices),
    (3, "staff accounts and sessions of the web console", _v3_staff),
    (4, "handoff cases and messages, unanswered questions", _v4_casework),
    (5, "district of unanswered questions", _v5_unanswered_district),
    (6, "web-chat session ids stored hashed", _v6_hashed_web_sessions),
    (7, "real-name list: imported graduates, import batches, contacts", _v7_real_name_list),
    (8, "the handed-over list's entry of each imported graduate; batch duplicates and district", _v8_list_entries),
]


def migrate(engine: Engine) -> List[int]:
    """Apply the steps not yet applied; returns their versions."""
    applied_now: List[int] = []
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        schema_migrations.create(conn, checkfirst=True)
        done = set(conn.execute(select(schema_migrations.c.version)).scalars())
        for version, name, step in STEPS:
            if version in done:
                continue
            log.info("ledger schema: applying %d (%s)", version, name)
            step(conn)
            conn.execute(schema_migrations.insert().values(version=version, name=name, applied_at=now()))
            applied_now.append(version)
    return applied_now


def current_version(engine: Engine) -> int:
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "schema_migrations"):
            return 0
        return max(conn.execute(select(schema_migrations.c.version)).scalars(), default=0)
