"""Encryption at rest for the ledger's personal data, and keyed hashes for duplicate lookups.

- Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256). Several keys may be configured,
  newest first: new data is encrypted with the newest, old data stays readable, and
  `python -m ledger rotate-keys` re-encrypts everything with the newest key.
- Duplicate lookups (same phone, same ID number) use HMAC-SHA256 under a separate key, so the
  database holds neither the number nor an unkeyed hash that could be reversed by trying all
  1.3 billion mobile numbers.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import List, Optional, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class CipherError(Exception):
    """A stored value cannot be decrypted with any configured key."""


class Cipher:
    def __init__(self, keys: Sequence[bytes], hash_key: bytes) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        if len(hash_key) < 32:
            raise ValueError("the hash key must be at least 32 bytes")
        self._fernets: List[Fernet] = [Fernet(key) for key in keys]
        self._multi = MultiFernet(self._fernets)
        self._hash_key = hash_key

    def encrypt(self, value: Optional[str]) -> Optional[str]:
        if value is None:
            return None
        return self._multi.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: Optional[str]) -> Optional[str]:
        if token is None:
            return None
        try:
            return self._multi.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as error:
            raise CipherError("a stored value cannot be decrypted with the configured keys") from error

    def rotate(self, token: Optional[str]) -> Optional[str]:
        """The same value encrypted under the newest key."""
        if token is None:
            return None
        try:
            return self._multi.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as error:
            raise CipherError("a stored value cannot be decrypted with the configured keys") from error

    def is_current(self, token: str) -> bool:
        """Whether `token` is already encrypted under the newest key."""
        try:
            self._fernets[0].decrypt(token.encode("ascii"))
            return True
        except InvalidToken:
            return False

    def blind_index(self, kind: str, value: Optional[str]) -> Optional[str]:
        """A keyed hash of a normalised value, per kind ('phone', 'id'), for equality lookups."""
        if value is None:
            return None
        digest = hmac.new(self._hash_key, f"{kind}:{value}".encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()


def new_key() -> bytes:
    return Fernet.generate_key()
