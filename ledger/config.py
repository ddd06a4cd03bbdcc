"""The ledger's settings, read once from the environment; a wrong value stops start-up with the
variable named.

DATABASE_URL       SQLAlchemy URL; default: SQLite at var/ledger.sqlite3 (the embedded default).
                   PostgreSQL: postgresql://user@host:5432/dbname
LEDGER_KEYS        encryption keys, comma-separated, newest first (Fernet keys:
                   `python -m ledger new-key`). Required with PostgreSQL.
LEDGER_HASH_KEY    key of the keyed hashes used for duplicate lookups (≥ 32 bytes, base64).
                   Required with PostgreSQL.
LEDGER_KEY_FILE    embedded default only: where generated keys are kept when LEDGER_KEYS is unset
                   (default var/ledger-keys.json, mode 0600).
LEDGER_RETENTION_DAYS  how long a registration is kept after its last change (default 730).
LEDGER_DRAFT_DAYS      how long an unfinished registration waits to be resumed (default 30).
"""
from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "var" / "ledger.sqlite3"
DEFAULT_KEY_FILE = ROOT / "var" / "ledger-keys.json"


class LedgerConfigError(Exception):
    """A ledger setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class LedgerSettings:
    database_url: str
    keys: List[bytes]
    hash_key: bytes
    retention_days: int = 730
    draft_days: int = 30

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")


def settings_from_env(env: Optional[Mapping[str, str]] = None) -> LedgerSettings:
    env = os.environ if env is None else env
    url = env.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DB}"
    if not url.startswith(("sqlite", "postgresql")):
        raise LedgerConfigError(f"DATABASE_URL: expected sqlite:/// or postgresql:// URL, got {url.split(':')[0]!r}")
    if env.get("LEDGER_KEYS"):
        keys = [_fernet_key("LEDGER_KEYS", part) for part in env["LEDGER_KEYS"].split(",") if part.strip()]
        hash_key = _hash_key(env.get("LEDGER_HASH_KEY"))
    elif url.startswith("sqlite"):
        keys, hash_key = _embedded_keys(Path(env.get("LEDGER_KEY_FILE") or DEFAULT_KEY_FILE))
    else:
        raise LedgerConfigError("LEDGER_KEYS: required with a PostgreSQL DATABASE_URL (generate one with `python -m ledger new-key`)")
    return LedgerSettings(
        database_url=url,
        keys=keys,
        hash_key=hash_key,
        retention_days=_positive_int(env, "LEDGER_RETENTION_DAYS", 730),
        draft_days=_positive_int(env, "LEDGER_DRAFT_DAYS", 30),
    )


def _fernet_key(name: str, value: str) -> bytes:
    key = value.strip().encode("ascii", "replace")
    try:
        Fernet(key)
    except (ValueError, binascii.Error) as error:
        raise LedgerConfigError(f"{name}: not a valid key (32 url-safe base64-encoded bytes): {error}") from error
    return key


def _hash_key(value: Optional[str]) -> bytes:
    if not value:
        raise LedgerConfigError("LEDGER_HASH_KEY: required when LEDGER_KEYS is set")
    try:
        raw = base64.urlsafe_b64decode(value.strip().encode("ascii"))
    except (ValueError, binascii.Error) as error:
        raise LedgerConfigError(f"LEDGER_HASH_KEY: not url-safe base64: {error}") from error
    if len(raw) < 32:
        raise LedgerConfigError("LEDGER_HASH_KEY: must decode to at least 32 bytes")
    return raw


def _embedded_keys(path: Path) -> tuple[List[bytes], bytes]:
    """Keys for the embedded default, generated on first start and kept beside the database."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = {"keys": [Fernet.generate_key().decode()], "hash_key": base64.urlsafe_b64encode(os.urandom(32)).decode()}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
    try:
        data = json.loads(path.read_text())
        keys = [_fernet_key(f"LEDGER_KEY_FILE ({path})", key) for key in data["keys"]]
        return keys, _hash_key(data["hash_key"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise LedgerConfigError(f"LEDGER_KEY_FILE: {path} is unreadable: {error}") from error


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise LedgerConfigError(f"{name}: expected a whole number of days, got {raw!r}") from None
    if value <= 0:
        raise LedgerConfigError(f"{name}: must be positive, got {value}")
    return value
