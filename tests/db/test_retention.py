"""db/retention.py covers every table that holds encrypted text: a table given an _enc column
without a line in rotate_keys would keep values under a retired key."""
from __future__ import annotations

from db.retention import ROTATED
from db.tables import metadata


def test_every_table_with_encrypted_columns_is_rotated() -> None:
    encrypted = {table.name for table in metadata.tables.values() if any(column.name.endswith("_enc") for column in table.columns)}
    assert encrypted == set(ROTATED), f"not rotated: {sorted(encrypted - set(ROTATED))}; rotated but not encrypted: {sorted(set(ROTATED) - encrypted)}"


def test_every_keyed_hash_sits_in_a_rotated_table() -> None:
    """A staff password's hash (argon2, console/passwords.py) is not keyed: nothing to recompute."""
    hashed = {table.name for table in metadata.tables.values()
              if any(column.name.endswith("_hash") and column.name != "password_hash" for column in table.columns)}
    assert hashed <= set(ROTATED), f"keyed hashes not recomputed on rotation: {sorted(hashed - set(ROTATED))}"
