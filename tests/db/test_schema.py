"""The schema the numbered migrations make (db/migrations.py) is the one the code declares
(db/tables.py), on both databases: same tables, columns, nullability, primary and foreign keys.
A migration that forgets a column, or a table declared without its migration, fails here rather
than at the first query in production."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

from sqlalchemy import MetaData, Table, create_engine

from db.engine import make_engine
from db.migrations import migrate
from db.tables import metadata
from tests.databases import both_databases

Shape = Dict[str, object]


def shape(table: Table) -> Shape:
    return {
        "columns": {column.name: bool(column.nullable) and not column.primary_key for column in table.columns},  # SQLite calls its rowid key nullable
        "primary key": sorted(column.name for column in table.primary_key.columns),
        "foreign keys": sorted((fk.parent.name, fk.column.table.name, fk.column.name) for fk in table.foreign_keys),
    }


def differences(declared: MetaData, migrated: MetaData) -> List[str]:
    found = [f"declared, never migrated: {name}" for name in sorted(set(declared.tables) - set(migrated.tables))]
    found += [f"migrated, not declared: {name}" for name in sorted(set(migrated.tables) - set(declared.tables) - {"sqlite_sequence"})]
    for name in sorted(set(declared.tables) & set(migrated.tables)):
        ours, theirs = shape(declared.tables[name]), shape(migrated.tables[name])
        for part in ours:
            if ours[part] != theirs[part]:
                found.append(f"{name} {part}: declared {ours[part]}, migrated {theirs[part]}")
    return found


database_url = both_databases("schema")


def test_the_migrations_make_the_declared_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine)
        reflected = MetaData()
        reflected.reflect(engine)
    finally:
        engine.dispose()
    assert differences(metadata, reflected) == []


def test_a_missing_column_is_reported(tmp_path: Path) -> None:
    """The comparison sees what it is for: a column the database lacks."""
    engine = create_engine(f"sqlite:///{tmp_path / 'short.db'}")
    try:
        migrate(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE drafts DROP COLUMN updated_at")
        reflected = MetaData()
        reflected.reflect(engine)
    finally:
        engine.dispose()
    assert any(line.startswith("drafts columns:") for line in differences(metadata, reflected))
