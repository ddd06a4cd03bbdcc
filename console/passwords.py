"""Staff passwords: Argon2id (argon2-cffi) with a random salt per user, at or above OWASP's
minimum (19 MiB of memory, 2 passes, 1 lane), stored in the PHC format `$argon2id$v=19$m=…`.

Hashes from before (`scrypt$<n>$<r>$<p>$<salt>$<hash>`, base64, N=2^14) still verify;
`needs_rehash` says so, and a successful login stores the password again as Argon2id
(accounts.StaffStore). At most CHECKS_AT_ONCE checks run at a time, so a burst of logins cannot
take memory without bound.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 256
TIME_COST, MEMORY_KIB, PARALLELISM = 2, 19 * 1024, 1  # OWASP Password Storage Cheat Sheet's Argon2id minimum
CHECKS_AT_ONCE = 4

_HASHER = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM)
_CHECKS = threading.BoundedSemaphore(CHECKS_AT_ONCE)


class PasswordError(ValueError):
    """A password the console does not accept; the message says why."""


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"password: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"password: at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return rehash(password)


def rehash(password: str) -> str:
    """Today's hash of a password already accepted once (no strength check: it was checked then)."""
    with _CHECKS:
        return _HASHER.hash(_utf8(password))


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (Argon2id, or the older scrypt)."""
    with _CHECKS:
        if len(password) > MAX_LENGTH:  # no such password was ever stored; as slow as a wrong one
            _argon2(password[:MAX_LENGTH], dummy_hash())
            return False
        if stored.startswith("scrypt$"):
            return _scrypt(password, stored)
        return _argon2(password, stored)


def needs_rehash(stored: str) -> bool:
    """Stored with an older scheme or weaker parameters than today's (rehash it at the next login)."""
    if not stored.startswith("$argon2id$"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Checked against when the username is unknown, so that answer takes as long as a wrong password."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def _utf8(password: str) -> bytes:
    """The password's bytes; a lone surrogate (JSON allows one) is kept, not an error."""
    return password.encode("utf-8", "surrogatepass")


def _argon2(password: str, stored: str) -> bool:
    try:
        return _HASHER.verify(stored, _utf8(password))
    except (VerificationError, InvalidHashError):  # VerifyMismatchError is a VerificationError
        return False


def _scrypt(password: str, stored: str) -> bool:
    """An older `scrypt$<n>$<r>$<p>$<salt>$<hash>` hash (kept until its user next logs in)."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                maxmem=64 * 1024 * 1024, dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)
