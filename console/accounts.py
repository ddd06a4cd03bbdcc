"""Staff accounts and their sessions on the ledger database (one transaction per call).

No account is ever locked (a stranger could lock anyone out): failed logins are slowed down per
name and address, in memory (throttle.py); an unknown name costs as much as a wrong password. A
session is a random cookie value whose SHA-256 is the row's key, with its own CSRF token; it ends
at `expires_at` or on logout.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import List, Optional

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Engine, Row

from db.tables import staff_sessions, staff_users
from console.passwords import dummy_hash, hash_password, needs_rehash, rehash, verify_password
from db.engine import now
from ledger.export import district_matches

ROLES = ("city", "district")
_USERNAME = re.compile(r"[A-Za-z0-9_.\-]{2,32}")
_IDENTITY = re.compile(r"[a-z]{2,8}:[A-Za-z0-9_\-]{1,128}")


class StaffError(ValueError):
    """An account the console cannot create as asked; the message says why."""


@dataclass(frozen=True)
class Staff:
    """A logged-in staff member, as every API call sees them."""

    username: str
    role: str  # city | district
    district: Optional[str]
    identity: Optional[str]
    csrf: str = ""

    @property
    def city(self) -> bool:
        return self.role == "city"

    def sees(self, district: Optional[str]) -> bool:
        """City staff see everything; district staff their own district only (not city-wide)."""
        return self.city or (district is not None and self.district is not None and district_matches(district, self.district))

    def public(self) -> dict:
        return {"username": self.username, "role": self.role, "district": self.district, "identity": self.identity}


@dataclass(frozen=True)
class Login:
    """The outcome of a login: a session (cookie value + staff), or refused; `known`: the name is
    an account's (for the audit log only: the answer must not tell)."""

    session: Optional[str] = None
    staff: Optional[Staff] = None
    known: bool = False


class StaffStore:
    def __init__(self, engine: Engine, session_life: timedelta = timedelta(hours=8)) -> None:
        self.engine = engine
        self.session_life = session_life

    # ---- accounts
    def add_user(self, username: str, password: str, role: str, district: Optional[str] = None,
                 identity: Optional[str] = None, districts: Optional[List[str]] = None) -> None:
        check_account(username, role, district, identity, districts)
        values = dict(username=username, password_hash=hash_password(password), role=role,
                      district=district if role == "district" else None, identity=identity, failed_logins=0, created_at=now())
        with self.engine.begin() as conn:
            if conn.execute(select(staff_users.c.username).where(staff_users.c.username == username)).first():
                raise StaffError(f"user {username!r} already exists")
            conn.execute(staff_users.insert().values(**values))

    def set_password(self, username: str, password: str) -> None:
        """A new password; also ends the user's sessions."""
        hashed = hash_password(password)
        with self.engine.begin() as conn:
            changed = conn.execute(update(staff_users).where(staff_users.c.username == username)
                                   .values(password_hash=hashed)).rowcount
            if not changed:
                raise StaffError(f"no user {username!r}")
            conn.execute(staff_sessions.delete().where(staff_sessions.c.username == username))

    def count(self) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(staff_users)).scalar() or 0)

    # ---- logging in and out
    def login(self, username: str, password: str) -> Login:
        if not _USERNAME.fullmatch(username):  # no such account; and PostgreSQL refuses a NUL in a query
            verify_password(password, dummy_hash())
            return Login()
        with self.engine.begin() as conn:
            row = conn.execute(select(staff_users).where(staff_users.c.username == username)).first()
        if row is None:
            verify_password(password, dummy_hash())  # as slow as a wrong password
            return Login()
        if not verify_password(password, row.password_hash):
            return Login(known=True)
        self._upgrade(row, password)
        return self._succeed(row)

    def _upgrade(self, row: Row, password: str) -> None:
        """An older hash (scrypt, weaker Argon2 parameters) replaced by today's, unless it changed meanwhile."""
        if not needs_rehash(row.password_hash):
            return
        hashed = rehash(password)
        with self.engine.begin() as conn:
            conn.execute(update(staff_users).where(and_(staff_users.c.username == row.username,
                                                        staff_users.c.password_hash == row.password_hash))
                         .values(password_hash=hashed))

    def _succeed(self, row: Row) -> Login:
        stamp = now()
        session, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(staff_sessions.delete().where(staff_sessions.c.expires_at <= stamp))
            conn.execute(staff_sessions.insert().values(id=_key(session), username=row.username, csrf_token=csrf,
                                                        created_at=stamp, expires_at=stamp + self.session_life))
        return Login(session, Staff(row.username, row.role, row.district, row.identity, csrf), known=True)

    def session(self, cookie: Optional[str]) -> Optional[Staff]:
        """The staff member of a live session, or None."""
        if not valid_cookie(cookie):
            return None
        query = (select(staff_users.c.username, staff_users.c.role, staff_users.c.district, staff_users.c.identity,
                        staff_sessions.c.csrf_token)
                 .select_from(staff_sessions.join(staff_users, staff_users.c.username == staff_sessions.c.username))
                 .where(and_(staff_sessions.c.id == _key(str(cookie)), staff_sessions.c.expires_at > now())))
        with self.engine.begin() as conn:
            row = conn.execute(query).first()
        return Staff(row.username, row.role, row.district, row.identity, row.csrf_token) if row else None

    def logout(self, cookie: Optional[str]) -> None:
        if valid_cookie(cookie):
            with self.engine.begin() as conn:
                conn.execute(staff_sessions.delete().where(staff_sessions.c.id == _key(str(cookie))))


def check_account(username: str, role: str, district: Optional[str], identity: Optional[str],
                  districts: Optional[List[str]]) -> None:
    if not _USERNAME.fullmatch(username):
        raise StaffError("username: 2–32 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise StaffError(f"role: one of {', '.join(ROLES)}")
    if role == "district" and not district:
        raise StaffError("district: required for district staff (e.g. 海淀区)")
    if district and districts is not None and district not in districts:
        raise StaffError(f"district: unknown {district!r}; one of {', '.join(districts)}")
    if identity is not None and not _IDENTITY.fullmatch(identity):
        raise StaffError("identity: a chat identity like tg:123456 or wx:<openid>")


def valid_cookie(value: Optional[str]) -> bool:
    return isinstance(value, str) and 40 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum()


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("ascii")).hexdigest()
