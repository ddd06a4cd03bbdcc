"""The ledger's data layer on SQLite and on the real PostgreSQL server: encryption at rest,
keyed-hash duplicates, one record per person under racing saves, deletion, key rotation,
migrations and configuration errors."""
from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import List

import pytest
from sqlalchemy import create_engine, text

from db.crypto import Cipher, new_key
from db.engine import make_engine
from db.migrations import STEPS, current_version, migrate
from ledger.config import LedgerConfigError, settings_from_env
from ledger.model import Registration
from ledger.store import DuplicatePerson, Ledger
from tests.ledger.conftest import HASH_KEY, settings_for

PHONE = "13912345678"
ID_NUMBER = "110108199903071238"


def person(**changes: object) -> Registration:
    base = dict(name="王芳", phone=PHONE, id_number=ID_NUMBER, school="北京工业大学", major="会计学", degree="本科",
                grad_year=2022, birth_year=1999, district="海淀区", status="未就业", intention="行政文员",
                preferred_districts=["海淀区"], services=["recommendation"], difficulty=False)
    base.update(changes)
    return Registration(**base)  # type: ignore[arg-type]


def raw_dump(url: str) -> str:
    """Every row of every table, as text, read past the data layer."""
    engine = create_engine(url, future=True)
    out: List[str] = []
    with engine.connect() as conn:
        for table in ("registrations", "drafts", "follow_ups", "audit_log"):
            out.extend(repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {table}")))
    engine.dispose()
    return "\n".join(out)


def test_saved_then_found_by_the_same_identity_only(ledger: Ledger) -> None:
    saved = ledger.save("tg:1", person())
    assert saved.created and saved.ref.startswith("QZ-")
    found = ledger.find("tg:1")
    assert found is not None and found.ref == saved.ref
    assert found.registration.phone == PHONE and found.registration.name == "王芳"
    assert ledger.find("tg:2") is None


def test_no_phone_id_or_name_in_plain_text_in_the_database(ledger: Ledger, database_url: str) -> None:
    ledger.save("wx:openid-1", person())
    ledger.put_draft("wx:openid-2", {"values": {"phone": "13698765432", "name": "李雷"}})
    dump = raw_dump(database_url)
    assert "wx:openid-1" in dump  # the dump did read the rows
    for secret in (PHONE, "13698765432", ID_NUMBER, "王芳", "李雷", "5678"):
        assert secret not in dump


def test_registering_twice_updates_the_same_record(ledger: Ledger) -> None:
    first = ledger.save("web:s1", person())
    second = ledger.save("web:s1", person(school="清华大学"))
    assert second.ref == first.ref and not second.created
    assert ledger.counts()["registrations"] == 1
    found = ledger.find("web:s1")
    assert found is not None and found.registration.school == "清华大学"


def test_same_phone_or_id_from_another_identity_is_refused(ledger: Ledger) -> None:
    ledger.save("wx:a", person())
    with pytest.raises(DuplicatePerson) as phone:
        ledger.save("tg:b", person(id_number=None))
    assert phone.value.field == "phone"
    with pytest.raises(DuplicatePerson) as id_number:
        ledger.save("tg:b", person(phone="13800001111"))
    assert id_number.value.field == "id_number"
    assert ledger.counts()["registrations"] == 1


def test_racing_submissions_for_one_person_leave_one_record(ledger: Ledger) -> None:
    errors: List[BaseException] = []
    barrier = threading.Barrier(8)

    def submit(n: int) -> None:
        try:
            barrier.wait()
            ledger.save("tg:racer", person(school=f"学校{n}"))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ledger.counts()["registrations"] == 1
    found = ledger.find("tg:racer")
    assert found is not None and found.registration.school.startswith("学校")


def test_racing_identities_with_the_same_phone_leave_one_record(ledger: Ledger) -> None:
    outcomes: List[str] = []
    barrier = threading.Barrier(6)

    def submit(n: int) -> None:
        barrier.wait()
        try:
            ledger.save(f"tg:{n}", person(id_number=None))
            outcomes.append("saved")
        except DuplicatePerson:
            outcomes.append("duplicate")

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate"] * 5 + ["saved"]
    assert ledger.counts()["registrations"] == 1


def test_delete_erases_personal_data_and_keeps_anonymous_counts(ledger: Ledger, database_url: str) -> None:
    saved = ledger.save("wx:gone", person())
    ledger.add_follow_up(saved.ref, "guidance", __import__("datetime").date(2026, 11, 20), "电话指导，王芳很积极", "staff1")
    assert ledger.delete("wx:gone") == saved.ref
    assert ledger.find("wx:gone") is None
    assert ledger.counts() == {"registrations": 1, "deleted": 1, "active": 0}
    assert [row.ref for row in ledger.rows()] == []
    dump = raw_dump(database_url)
    assert "王芳" not in dump and "北京工业大学" not in dump and "wx:gone" not in dump
    assert "海淀区" in dump  # the anonymous counts remain
    # the same person can register again afterwards
    assert ledger.save("wx:gone", person()).created


def test_drafts_are_encrypted_and_resumable(ledger: Ledger) -> None:
    ledger.put_draft("tg:d", {"phase": "collect", "values": {"phone": PHONE}})
    ledger.put_draft("tg:d", {"phase": "collect", "values": {"phone": PHONE, "name": "王芳"}})
    assert ledger.get_draft("tg:d") == {"phase": "collect", "values": {"phone": PHONE, "name": "王芳"}}
    ledger.delete_draft("tg:d")
    assert ledger.get_draft("tg:d") is None


def test_key_rotation_reencrypts_under_the_new_key(database_url: str) -> None:
    old_key, new = new_key(), new_key()
    settings = settings_for(database_url)
    old = Ledger.open(settings.__class__(database_url=database_url, keys=[old_key], hash_key=HASH_KEY))
    old.save("tg:rot", person())
    old.put_draft("tg:rot2", {"values": {"phone": PHONE}})
    old.close()
    both = Ledger.open(settings.__class__(database_url=database_url, keys=[new, old_key], hash_key=HASH_KEY))
    assert both.find("tg:rot") is not None  # old data readable while rotating
    assert both.rotate_keys("ops") == 2
    both.close()
    only_new = Ledger.open(settings.__class__(database_url=database_url, keys=[new], hash_key=HASH_KEY))
    found = only_new.find("tg:rot")
    assert found is not None and found.registration.phone == PHONE
    assert only_new.get_draft("tg:rot2") == {"values": {"phone": PHONE}}
    assert any(entry["action"] == "rotate_keys" for entry in only_new.audit_entries())
    only_new.close()


def test_migrations_apply_once_and_record_the_version(database_url: str) -> None:
    engine = make_engine(database_url)
    assert migrate(engine) == [version for version, _, _ in STEPS]
    assert migrate(engine) == []
    assert current_version(engine) == STEPS[-1][0]
    engine.dispose()


def test_settings_fail_fast_by_name(tmp_path: Path) -> None:
    with pytest.raises(LedgerConfigError, match="LEDGER_KEYS"):
        settings_from_env({"DATABASE_URL": "postgresql://x@localhost/db"})
    with pytest.raises(LedgerConfigError, match="LEDGER_KEYS"):
        settings_from_env({"LEDGER_KEYS": "not-a-key", "LEDGER_HASH_KEY": base64.urlsafe_b64encode(b"k" * 32).decode()})
    with pytest.raises(LedgerConfigError, match="LEDGER_HASH_KEY"):
        settings_from_env({"LEDGER_KEYS": new_key().decode()})
    with pytest.raises(LedgerConfigError, match="DATABASE_URL"):
        settings_from_env({"DATABASE_URL": "mysql://x"})
    with pytest.raises(LedgerConfigError, match="LEDGER_RETENTION_DAYS"):
        settings_from_env({"LEDGER_KEY_FILE": str(tmp_path / "k.json"), "LEDGER_RETENTION_DAYS": "soon"})


def test_embedded_default_generates_its_keys_once(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'l.sqlite3'}", "LEDGER_KEY_FILE": str(tmp_path / "keys.json")}
    first = settings_from_env(env)
    assert (tmp_path / "keys.json").stat().st_mode & 0o777 == 0o600
    assert settings_from_env(env).keys == first.keys
    cipher = Cipher(first.keys, first.hash_key)
    assert cipher.decrypt(cipher.encrypt(PHONE)) == PHONE
    assert cipher.blind_index("phone", PHONE) == cipher.blind_index("phone", PHONE) != cipher.blind_index("id", PHONE)
