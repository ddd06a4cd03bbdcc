"""The handoff tables, as ledger/migrations.py step 4 creates them. Message texts are Fernet
ciphertext (the ledger's keys): a graduate's own words about their situation stay encrypted at rest."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Integer, String, Table, Text

from ledger.db import metadata

handoffs = Table(
    "handoffs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("identity", String(200), nullable=False),  # wx:<openid>, tg:<chat>, web:<hash of the session>
    Column("channel", String(16), nullable=False),
    Column("district", String(32)),  # from the graduate's registration, when there is one
    Column("status", String(16), nullable=False),  # open | closed
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("last_inbound_at", DateTime(timezone=True), nullable=False),  # the graduate's latest message
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("claimed_by", String(64)),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(64)),  # a staff username, `graduate` or `expired`
)

handoff_messages = Table(
    "handoff_messages", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("handoff_id", Integer, ForeignKey("handoffs.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("author", String(16), nullable=False),  # graduate | assistant | staff | system
    Column("staff", String(64)),
    Column("text_enc", Text, nullable=False),
    # messages to the graduate (staff, system): pending → sending → sent | failed | skipped | unknown
    Column("delivery", String(16)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_until", DateTime(timezone=True)),
    Column("last_error", String(200)),
    Column("sent_at", DateTime(timezone=True)),
)
