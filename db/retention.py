"""Key rotation and purge for every table that holds personal data, in one place: what is
encrypted (the _enc columns), what is hashed with the key (the _hash columns) and how long each
kind of row is kept. `python -m ledger rotate-keys` and `python -m ledger purge` run them (through
ledger/store.py, which records them in the audit log)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Dict

from sqlalchemy import and_, select, update
from sqlalchemy.engine import Connection

from db.crypto import Cipher
from db.tables import contacts, drafts, follow_ups, handoff_messages, handoffs, registrations, unanswered_questions
from policy_kb.text import normalize_chars

# The columns of a registration that say who the person is: emptied when it is erased (deleted by
# the graduate, or unchanged past the retention time); the row stays, anonymous, for the counts.
ERASED: Dict[str, Any] = {
    "identity": None,
    "name_enc": None,
    "phone_enc": None,
    "phone_hash": None,
    "id_enc": None,
    "id_hash": None,
    "school": None,
    "major": None,
    "birth_year": None,
    "intention": None,
    "difficulty_kind": None,
    "listed_enc": None,
}


# The tables rotate_keys re-encrypts: every table with an encrypted column (tests/db pins it).
ROTATED = ("registrations", "drafts", "contacts", "handoff_messages", "unanswered_questions")


def normalised_question(text: str) -> str:
    """What is the same for one unanswered question however it was typed: the keyed hash of it
    groups the records (unanswered/store.py), and rotation recomputes it."""
    return re.sub(r"[\s，。！？?!,.、~～…]+", "", normalize_chars(text)).lower()


def rotate_keys(conn: Connection, cipher: Cipher) -> int:
    """Every encrypted value re-encrypted under the newest key and every keyed hash recomputed;
    the number of rows changed."""
    changed = 0
    for row in conn.execute(select(registrations).where(registrations.c.deleted_at.is_(None))).all():
        phone, id_number = cipher.decrypt(row.phone_enc), cipher.decrypt(row.id_enc)
        conn.execute(update(registrations).where(registrations.c.id == row.id).values(
            listed_enc=cipher.rotate(row.listed_enc),
            name_enc=cipher.rotate(row.name_enc),
            phone_enc=cipher.encrypt(phone),
            phone_hash=cipher.blind_index("phone", phone),
            id_enc=cipher.encrypt(id_number),
            id_hash=cipher.blind_index("id", id_number),
        ))
        changed += 1
    for row in conn.execute(select(drafts.c.identity, drafts.c.data_enc)).all():
        conn.execute(update(drafts).where(drafts.c.identity == row.identity).values(data_enc=cipher.rotate(row.data_enc)))
        changed += 1
    for row in conn.execute(select(contacts.c.id, contacts.c.note_enc).where(contacts.c.note_enc.is_not(None))).all():
        conn.execute(update(contacts).where(contacts.c.id == row.id).values(note_enc=cipher.rotate(row.note_enc)))
        changed += 1
    for row in conn.execute(select(handoff_messages.c.id, handoff_messages.c.text_enc)).all():
        conn.execute(update(handoff_messages).where(handoff_messages.c.id == row.id).values(text_enc=cipher.rotate(row.text_enc)))
        changed += 1
    for row in conn.execute(select(unanswered_questions.c.id, unanswered_questions.c.text_enc)).all():
        text = cipher.decrypt(row.text_enc) or ""
        conn.execute(update(unanswered_questions).where(unanswered_questions.c.id == row.id).values(
            text_enc=cipher.encrypt(text), text_hash=cipher.blind_index("question", normalised_question(text))))
        changed += 1
    return changed


def purge(conn: Connection, stamp: datetime, draft_days: int, retention_days: int) -> Dict[str, int]:
    """Drafts not resumed within `draft_days` dropped; registrations unchanged for `retention_days`
    erased (with the staff's notes on them); closed handoff cases and unanswered questions older
    than that deleted. The number of each."""
    old_drafts = conn.execute(drafts.delete().where(drafts.c.updated_at < stamp - timedelta(days=draft_days))).rowcount
    cutoff = stamp - timedelta(days=retention_days)
    erased = conn.execute(
        update(registrations)
        .where(and_(registrations.c.deleted_at.is_(None), registrations.c.updated_at < cutoff))
        .values(**ERASED, deleted_at=stamp)
    ).rowcount
    # the staff's notes on an erased graduate go with them, as on deletion (contact and service
    # rows stay, anonymous, for the counts)
    erased_ids = select(registrations.c.id).where(registrations.c.deleted_at.is_not(None))
    conn.execute(update(contacts).where(and_(contacts.c.note_enc.is_not(None), contacts.c.registration_id.in_(erased_ids)))
                 .values(note_enc=None))
    conn.execute(update(follow_ups).where(and_(follow_ups.c.note.is_not(None), follow_ups.c.registration_id.in_(erased_ids)))
                 .values(note=None))
    old_cases = select(handoffs.c.id).where(and_(handoffs.c.status == "closed", handoffs.c.closed_at < cutoff))
    conn.execute(handoff_messages.delete().where(handoff_messages.c.handoff_id.in_(old_cases)))
    cases = conn.execute(handoffs.delete().where(and_(handoffs.c.status == "closed", handoffs.c.closed_at < cutoff))).rowcount
    questions = conn.execute(unanswered_questions.delete().where(unanswered_questions.c.at < cutoff)).rowcount
    return {"drafts": int(old_drafts or 0), "registrations": int(erased or 0),
            "handoff_cases": int(cases or 0), "unanswered_questions": int(questions or 0)}
