"""The unanswered-questions table, as ledger/migrations.py steps 4 and 5 make it."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Float, Integer, String, Table, Text

from ledger.db import metadata

unanswered_questions = Table(
    "unanswered_questions", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("channel", String(16), nullable=False),  # wx | tg | web | … (never who asked)
    Column("district", String(32)),  # the asker's registered district (console scope); NULL: not registered
    Column("text_hash", String(64), nullable=False),  # keyed hash of the normalised text: groups repeats
    Column("text_enc", Text, nullable=False),  # the question, phone/ID numbers masked, encrypted
    Column("reason", String(16), nullable=False),  # unclear | out_of_scope | gave_up
    Column("guess", String(64)),  # the NLU's best intent, for context
    Column("confidence", Float),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", String(64)),
    Column("resolution", String(16)),  # added (to the knowledge base) | ignored
)
