"""The notice tables, as ledger/migrations.py step 2 creates them."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from ledger.db import metadata

notices = Table(
    "notices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("district", String(32)),
    Column("industry", String(64)),
    Column("degree", String(8)),
    Column("event_date", Date),
    Column("event_time", String(32)),
    Column("place", String(200)),
    Column("online_link", String(500)),
    Column("organiser", String(200)),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
)

subscriptions = Table(
    "subscriptions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("identity", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("districts", String(400)),
    Column("industries", String(400)),
    Column("degree", String(8)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("identity", "kind"),
)

recipients = Table(
    "recipients", metadata,
    Column("identity", String(200), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("inactive", String(16)),  # blocked | unsubscribed
    Column("inactive_at", DateTime(timezone=True)),
)

broadcasts = Table(
    "broadcasts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_id", Integer, ForeignKey("notices.id"), nullable=False),
    Column("audience", Text, nullable=False),
    Column("status", String(24), nullable=False),
    Column("scheduled_at", DateTime(timezone=True)),
    Column("created_by", String(64), nullable=False),
    Column("approved_by", String(64)),
    Column("total", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("broadcast_id", Integer, ForeignKey("broadcasts.id"), nullable=False),
    Column("identity", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("purpose", String(16), nullable=False),  # subscription | recommendation (counts as 岗位推介) | test
    Column("status", String(16), nullable=False),  # pending | sending | sent | failed | blocked | skipped | unknown
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(200)),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("broadcast_id", "identity"),
)
