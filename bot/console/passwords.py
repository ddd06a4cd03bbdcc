"""Staff passwords: scrypt with a random salt per user, stored as
`scrypt$<n>$<r>$<p>$<salt>$<hash>` (base64), compared in constant time."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os

MIN_LENGTH = 10
MAX_LENGTH = 256
_N, _R, _P = 2**14, 8, 1  # 16 MiB of memory per check
_LENGTH = 32


class PasswordError(ValueError):
    """A password the console does not accept; the message says why."""


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"password: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"password: at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    salt = os.urandom(16)
    digest = _scrypt(password, salt, _N, _R, _P)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password[:MAX_LENGTH], base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


# Checked against when the username is unknown, so that answer takes as long as a wrong password.
DUMMY_HASH = "$".join(["scrypt", str(_N), str(_R), str(_P), "AAAAAAAAAAAAAAAAAAAAAA==", "A" * 43 + "="])


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=_LENGTH)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
