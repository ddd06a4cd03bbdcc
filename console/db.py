"""The console's tables, as ledger/migrations.py step 3 creates them."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table

from ledger.db import metadata

staff_users = Table(
    "staff_users", metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),  # passwords.hash_password
    Column("role", String(16), nullable=False),  # city | district
    Column("district", String(32)),  # district staff only
    Column("identity", String(200)),  # their own chat (tg:123) for "send a test to myself"
    Column("failed_logins", Integer, nullable=False, default=0),  # unused since the lock gave way to
    Column("locked_until", DateTime(timezone=True)),  # the in-memory throttle (throttle.py)
    Column("created_at", DateTime(timezone=True), nullable=False),
)

staff_sessions = Table(
    "staff_sessions", metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie value, never the value
    Column("username", String(64), ForeignKey("staff_users.username"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
