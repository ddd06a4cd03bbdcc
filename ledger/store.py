"""The ledger: registrations, unfinished drafts, staff follow-ups and the audit log, on one SQL
database. Every method is one transaction; personal numbers are encrypted before they reach SQL.
"""
from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, Iterator, List, Optional

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from db import retention
from db.crypto import Cipher
from db.engine import make_engine, now
from db.migrations import migrate
from db.retention import ERASED
from db.tables import audit_log, contacts, drafts, follow_ups, registrations
from ledger.config import LedgerSettings
from ledger.fields import FOLLOW_UP_KINDS, id_birth_date, join_codes, split_codes
from ledger.model import Registration, Saved, StoredRegistration

log = logging.getLogger(__name__)
CONSENT_VERSION = "2022-1"
_REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone


class DuplicatePerson(Exception):
    """The phone or ID number is already registered from another channel identity."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class UnknownRegistration(Exception):
    pass


@dataclass(frozen=True)
class LedgerRow:
    """One registration as staff see it (decrypted); `follow_ups` counts services by kind."""

    id: int
    ref: str
    channel: str
    registration: Registration
    follow_ups: Dict[str, int]
    created_at: datetime
    updated_at: datetime


class Ledger:
    def __init__(self, engine: Engine, cipher: Cipher, settings: Optional[LedgerSettings] = None) -> None:
        self.engine = engine
        self.cipher = cipher
        self.settings = settings

    @classmethod
    def open(cls, settings: LedgerSettings) -> "Ledger":
        engine = make_engine(settings.database_url)
        migrate(engine)
        return cls(engine, Cipher(settings.keys, settings.hash_key), settings)

    def close(self) -> None:
        self.engine.dispose()

    # ---- drafts: an unfinished registration, resumable later; encrypted as a whole
    def get_draft(self, identity: str) -> Optional[Dict[str, Any]]:
        with self.engine.begin() as conn:
            token = conn.execute(select(drafts.c.data_enc).where(drafts.c.identity == identity)).scalar()
        return json.loads(self.cipher.decrypt(token) or "{}") if token else None

    def put_draft(self, identity: str, data: Dict[str, Any]) -> None:
        token = self.cipher.encrypt(json.dumps(data, ensure_ascii=False))
        with self.engine.begin() as conn:
            changed = conn.execute(update(drafts).where(drafts.c.identity == identity).values(data_enc=token, updated_at=now()))
            if changed.rowcount == 0:
                conn.execute(drafts.insert().values(identity=identity, data_enc=token, updated_at=now()))

    def delete_draft(self, identity: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(drafts.delete().where(drafts.c.identity == identity))

    # ---- registrations, as the graduate reaches them: only through their own channel identity
    def save(self, identity: str, reg: Registration) -> Saved:
        """Create or update the registration bound to `identity`. A graduate on the handed-over list
        (an imported record, not yet bound to anyone) with the same ID number or phone is joined to
        that record, never duplicated: the identity is bound, the chat answers saved over the list's
        (a list value stays where the graduate gave none), consent recorded, source stays 'import'.
        The same phone or ID number on anyone else's record raises DuplicatePerson; racing saves
        leave one record."""
        values = self._columns(reg)
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    existing = conn.execute(
                        select(registrations.c.id, registrations.c.ref).where(registrations.c.identity == identity)
                    ).first()
                    listed = self._joinable(conn, values) if existing is None else None
                    own = existing if existing is not None else listed
                    self._check_duplicates(conn, identity, values, own.id if own is not None else None)
                    stamp = now()
                    if existing is not None:
                        conn.execute(update(registrations).where(registrations.c.id == existing.id).values(**values, updated_at=stamp))
                        return Saved(existing.ref, created=False)
                    if listed is not None:
                        given = {key: value for key, value in values.items() if value is not None}
                        conn.execute(update(registrations).where(registrations.c.id == listed.id).values(
                            **given, identity=identity, channel=_channel(identity), consent_version=CONSENT_VERSION,
                            consented_at=stamp, updated_at=stamp))
                        return Saved(listed.ref, created=True)
                    ref = new_ref()
                    conn.execute(
                        registrations.insert().values(
                            **values,
                            ref=ref,
                            identity=identity,
                            channel=_channel(identity),
                            consent_version=CONSENT_VERSION,
                            consented_at=stamp,
                            created_at=stamp,
                            updated_at=stamp,
                        )
                    )
                    return Saved(ref, created=True)
            except IntegrityError:
                # another save for the same identity (or ref) committed first: go round again,
                # which updates that record or reports the duplicate
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _joinable(self, conn: Connection, values: Dict[str, Any]) -> Optional[Row]:
        """The imported record, bound to no one, with this ID number (first) or phone."""
        for column in ("id_hash", "phone_hash"):
            if values.get(column) is None:
                continue
            found = conn.execute(select(registrations.c.id, registrations.c.ref).where(and_(
                registrations.c[column] == values[column], registrations.c.identity.is_(None),
                registrations.c.deleted_at.is_(None)))).first()
            if found is not None:
                return found
        return None

    def _check_duplicates(self, conn: Connection, identity: str, values: Dict[str, Any], own_id: Optional[int] = None) -> None:
        """DuplicatePerson if another record (another identity's, or a list entry other than the
        one this save updates or joins) holds the phone or ID number."""
        for column, field_name in (("phone_hash", "phone"), ("id_hash", "id_number")):
            if values.get(column) is None:
                continue
            holder = conn.execute(
                select(registrations.c.id, registrations.c.identity).where(registrations.c[column] == values[column])
            ).first()
            if holder is not None and holder.id != own_id and holder.identity != identity:
                raise DuplicatePerson(field_name)

    def _columns(self, reg: Registration) -> Dict[str, Any]:
        return {
            "name_enc": self.cipher.encrypt(reg.name),
            "phone_enc": self.cipher.encrypt(reg.phone),
            "phone_hash": self.cipher.blind_index("phone", reg.phone),
            "id_enc": self.cipher.encrypt(reg.id_number),
            "id_hash": self.cipher.blind_index("id", reg.id_number),
            "school": reg.school,
            "major": reg.major,
            "degree": reg.degree,
            "grad_year": reg.grad_year,
            "birth_year": reg.birth_year,
            "district": reg.district,
            "status": reg.status,
            "intention": reg.intention,
            "preferred_districts": join_codes(reg.preferred_districts),
            "services": join_codes(reg.services),
            "difficulty": bool(reg.difficulty),
            "difficulty_kind": reg.difficulty_kind,
        }

    def find(self, identity: str) -> Optional[StoredRegistration]:
        with self.engine.begin() as conn:
            row = conn.execute(select(registrations).where(registrations.c.identity == identity)).first()
            if row is None:
                return None
            counts = self._follow_up_counts(conn, [row.id]).get(row.id, {})
        return StoredRegistration(row.ref, self._registration(row), counts, on_list=row.listed_enc is not None)

    def delete(self, identity: str) -> Optional[str]:
        """Erase the personal data of the registration bound to `identity`, keeping an anonymous
        row (district, year, degree, status, services, difficulty flag) for the counts.

        A graduate who is on the handed-over list (listed_enc: joined in chat to their imported
        record, or found on a list imported later) is the bureau's to follow up whatever they say in
        chat (五（一）、五（八）): what they gave in chat is erased and the identity unbound, and the
        record goes back to the list entry as it was handed over (not marked deleted). Staff
        follow-up notes are cleared either way."""
        with self.engine.begin() as conn:
            row = conn.execute(select(registrations.c.id, registrations.c.ref, registrations.c.listed_enc)
                               .where(registrations.c.identity == identity)).first()
            if row is None:
                return None
            if row.listed_enc is not None:
                conn.execute(update(registrations).where(registrations.c.id == row.id)
                             .values(**self._list_entry(conn, row.id, row.listed_enc), updated_at=now()))
            else:
                conn.execute(update(registrations).where(registrations.c.id == row.id).values(**ERASED, deleted_at=now(), updated_at=now()))
            conn.execute(update(follow_ups).where(follow_ups.c.registration_id == row.id).values(note=None))
            conn.execute(update(contacts).where(contacts.c.registration_id == row.id).values(note_enc=None))
            conn.execute(drafts.delete().where(drafts.c.identity == identity))
        return str(row.ref)

    def _list_entry(self, conn: Connection, reg_id: int, listed_enc: str) -> Dict[str, Any]:
        """The columns of a record put back to its handed-over list entry: chat answers gone,
        identity and consent unbound. A number of the list now held by another record (the
        graduate gave another one in chat, and someone else registered with the list's) is left
        out rather than taken from them."""
        entry = json.loads(self.cipher.decrypt(listed_enc) or "{}")
        values: Dict[str, Any] = {**_CHAT_ONLY, "identity": None, "channel": "import", "consent_version": None,
                                  "consented_at": None, "name_enc": self.cipher.encrypt(entry.get("name"))}
        for key, kind in (("phone", "phone"), ("id_number", "id")):  # kind: the blind index's and the columns' prefix
            number = entry.get(key)
            digest = self.cipher.blind_index(kind, number)
            taken = digest is not None and conn.execute(select(registrations.c.id).where(and_(
                registrations.c[f"{kind}_hash"] == digest, registrations.c.id != reg_id))).first() is not None
            values[f"{kind}_enc"] = None if taken else self.cipher.encrypt(number)
            values[f"{kind}_hash"] = None if taken else digest
        for key in ("school", "major", "degree", "grad_year", "district"):
            values[key] = entry.get(key)
        born = id_birth_date(entry["id_number"]) if entry.get("id_number") else None
        values["birth_year"] = born.year if born else None
        return values

    # ---- staff side
    def add_follow_up(self, ref: str, kind: str, service_date: date, note: Optional[str], staff: str) -> None:
        if kind not in FOLLOW_UP_KINDS:
            raise ValueError(f"unknown follow-up kind {kind!r}; one of {', '.join(FOLLOW_UP_KINDS)}")
        with self.engine.begin() as conn:
            reg_id = conn.execute(
                select(registrations.c.id).where(and_(registrations.c.ref == ref, registrations.c.deleted_at.is_(None)))
            ).scalar()
            if reg_id is None:
                raise UnknownRegistration(ref)
            conn.execute(
                follow_ups.insert().values(
                    registration_id=reg_id, kind=kind, service_date=service_date, note=note, staff=staff, created_at=now()
                )
            )
            self._audit(conn, staff, "follow_up", {"ref": ref, "kind": kind, "date": service_date.isoformat()})

    def rows(self, include_deleted: bool = False) -> Iterator[LedgerRow]:
        """Every registration, decrypted, with its follow-up counts (staff export and status)."""
        with self.engine.begin() as conn:
            query = select(registrations).order_by(registrations.c.id)
            if not include_deleted:
                query = query.where(registrations.c.deleted_at.is_(None))
            rows = list(conn.execute(query))
            counts = self._follow_up_counts(conn, [row.id for row in rows])
        for row in rows:
            yield LedgerRow(row.id, row.ref, row.channel, self._registration(row), counts.get(row.id, {}), row.created_at, row.updated_at)

    def counts(self) -> Dict[str, int]:
        """Anonymous totals, deleted registrations included."""
        with self.engine.begin() as conn:
            total = conn.execute(select(func.count()).select_from(registrations)).scalar() or 0
            deleted = conn.execute(select(func.count()).select_from(registrations).where(registrations.c.deleted_at.is_not(None))).scalar() or 0
        return {"registrations": int(total), "deleted": int(deleted), "active": int(total - deleted)}

    def audit(self, actor: str, action: str, detail: Dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            self._audit(conn, actor, action, detail)

    def audit_entries(self) -> List[Dict[str, Any]]:
        with self.engine.begin() as conn:
            rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
        return [{"at": r.at, "actor": r.actor, "action": r.action, "detail": json.loads(r.detail)} for r in rows]

    def _audit(self, conn: Connection, actor: str, action: str, detail: Dict[str, Any]) -> None:
        conn.execute(audit_log.insert().values(at=now(), actor=actor, action=action, detail=json.dumps(detail, ensure_ascii=False, default=str)))

    # ---- maintenance
    def rotate_keys(self, actor: str) -> int:
        """Re-encrypt every value under the newest key and recompute the keyed hashes, in every
        table (db/retention.py); recorded in the audit log."""
        with self.engine.begin() as conn:
            changed = retention.rotate_keys(conn, self.cipher)
            self._audit(conn, actor, "rotate_keys", {"rows": changed})
        return changed

    def purge_expired(self, actor: str, today: Optional[datetime] = None) -> Dict[str, int]:
        """Drop drafts not resumed in time; erase registrations unchanged past the retention time;
        delete old closed handoff cases and unanswered questions (db/retention.py)."""
        settings = self.settings
        if settings is None:
            raise ValueError("purge needs the ledger's settings (retention times)")
        with self.engine.begin() as conn:
            counts = retention.purge(conn, today or now(), settings.draft_days, settings.retention_days)
            self._audit(conn, actor, "purge", counts)
        return counts

    # ---- helpers
    def _registration(self, row: Row) -> Registration:
        return Registration(
            name=self.cipher.decrypt(row.name_enc),
            phone=self.cipher.decrypt(row.phone_enc),
            id_number=self.cipher.decrypt(row.id_enc),
            school=row.school,
            major=row.major,
            degree=row.degree,
            grad_year=row.grad_year,
            birth_year=row.birth_year,
            district=row.district,
            status=row.status,
            intention=row.intention,
            preferred_districts=split_codes(row.preferred_districts),
            services=split_codes(row.services),
            difficulty=bool(row.difficulty),
            difficulty_kind=row.difficulty_kind,
        )

    def _follow_up_counts(self, conn: Connection, ids: List[int]) -> Dict[int, Dict[str, int]]:
        if not ids:
            return {}
        query = (
            select(follow_ups.c.registration_id, follow_ups.c.kind, func.count())
            .where(follow_ups.c.registration_id.in_(ids))
            .group_by(follow_ups.c.registration_id, follow_ups.c.kind)
        )
        counts: Dict[int, Dict[str, int]] = {}
        for reg_id, kind, count in conn.execute(query):
            counts.setdefault(reg_id, {})[kind] = int(count)
        return counts


# What deletion erases: everything that could identify the person.


# What a graduate gives only in chat: gone when they delete a registration joined to a list entry.
_CHAT_ONLY: Dict[str, Any] = {
    "status": None,
    "intention": None,
    "preferred_districts": None,
    "services": None,
    "difficulty": False,
    "difficulty_kind": None,
}


def _channel(identity: str) -> str:
    return identity.split(":", 1)[0] if ":" in identity else "other"


def new_ref() -> str:
    """A reference number like QZ-7K3M-9PXA: short, unambiguous when read aloud."""
    chars = "".join(secrets.choice(_REF_ALPHABET) for _ in range(8))
    return f"QZ-{chars[:4]}-{chars[4:]}"
