"""Settings, the add-user command, password hashing and the per-address slow-down of logins."""
from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from console.accounts import StaffError, StaffStore
from console.app import create_app, staff_store
from console.config import ConsoleConfigError, ConsoleSettings, settings_from_env
from db.tables import staff_users
from console.passwords import PasswordError, dummy_hash, hash_password, needs_rehash, verify_password
from console.throttle import LoginThrottle
from ledger.store import Ledger
from tests.console.conftest import PASSWORD
from tests.ledger.conftest import settings_for

ROOT = Path(__file__).resolve().parents[2]


def test_settings_have_defaults_and_fail_fast_by_name(tmp_path: Path) -> None:
    settings = settings_from_env({})
    assert (settings.host, settings.port, settings.session_hours) == ("127.0.0.1", 8090, 8)
    assert "海淀区" in settings.districts and len(settings.districts) == 17
    assert settings.forwarded_allow_ips == ()  # no proxy is believed unless named
    proxies = settings_from_env({"FORWARDED_ALLOW_IPS": " 127.0.0.1, 172.18.0.1/16,::1,"}).forwarded_allow_ips
    assert [str(network) for network in proxies] == ["127.0.0.1/32", "172.18.0.0/16", "::1/128"]
    for env, name in (({"CONSOLE_PORT": "http"}, "CONSOLE_PORT"), ({"CONSOLE_PORT": "70000"}, "CONSOLE_PORT"),
                      ({"CONSOLE_SESSION_HOURS": "48"}, "CONSOLE_SESSION_HOURS"), ({"POLICY_KB_DIR": str(tmp_path)}, "POLICY_KB_DIR"),
                      ({"FORWARDED_ALLOW_IPS": "*"}, "FORWARDED_ALLOW_IPS"), ({"FORWARDED_ALLOW_IPS": "10.0.0.300"}, "FORWARDED_ALLOW_IPS"),
                      ({"FORWARDED_ALLOW_IPS": "127.0.0.1;10.0.0.1"}, "FORWARDED_ALLOW_IPS"),
                      ({"FORWARDED_ALLOW_IPS": "proxy.bureau.local"}, "FORWARDED_ALLOW_IPS")):
        with pytest.raises(ConsoleConfigError, match=name):
            settings_from_env(env)


def scrypt_hash(password: str) -> str:
    """A hash as the console stored it before Argon2id: scrypt, N=2^14."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)
    return "$".join(["scrypt", "16384", "8", "1", base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def test_passwords_are_salted_argon2id_at_owasps_minimum_and_checked_for_length() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and first.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(PASSWORD, first) and not verify_password("correct-horse-batterY", first)
    assert not verify_password(PASSWORD, "md5$abc") and not verify_password(PASSWORD, "garbage")
    assert not verify_password(PASSWORD + "x" * 300, first) and not verify_password("\ud800" * 12, first)
    assert not needs_rehash(first) and not needs_rehash(dummy_hash())
    with pytest.raises(PasswordError, match="10"):
        hash_password("short-pw")


def test_old_scrypt_hashes_still_verify_and_need_a_rehash() -> None:
    old = scrypt_hash(PASSWORD)
    assert verify_password(PASSWORD, old) and not verify_password(PASSWORD + "!", old)
    assert not verify_password(PASSWORD, old[:-8]) and not verify_password(PASSWORD, "scrypt$x$8$1$AA==$AA==")
    assert needs_rehash(old)
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    assert verify_password(PASSWORD, weaker) and needs_rehash(weaker)


def test_a_login_with_an_old_hash_stores_the_password_as_argon2id(tmp_path: Path) -> None:
    ledger = Ledger.open(settings_for(f"sqlite:///{tmp_path / 'l.sqlite3'}"))
    accounts = StaffStore(ledger.engine)
    accounts.add_user("city1", PASSWORD, "city")
    old = scrypt_hash(PASSWORD)

    def stored() -> str:
        with ledger.engine.begin() as conn:
            return str(conn.execute(select(staff_users.c.password_hash).where(staff_users.c.username == "city1")).scalar())

    with ledger.engine.begin() as conn:
        conn.execute(update(staff_users).where(staff_users.c.username == "city1").values(password_hash=old))
    assert accounts.login("city1", "wrong-password-1").staff is None and stored() == old  # a failure changes nothing
    assert accounts.login("city1", PASSWORD).staff is not None
    upgraded = stored()
    assert upgraded.startswith("$argon2id$") and verify_password(PASSWORD, upgraded) and not needs_rehash(upgraded)
    assert accounts.login("city1", PASSWORD).staff is not None and stored() == upgraded  # once is enough
    ledger.close()


def test_accounts_are_checked(tmp_path: Path) -> None:
    ledger = Ledger.open(settings_for(f"sqlite:///{tmp_path / 'l.sqlite3'}"))
    accounts = StaffStore(ledger.engine)
    districts = ["海淀区", "朝阳区"]
    cases = [(("staff.a", PASSWORD, "district", None), "district"), (("staff.b", PASSWORD, "mayor"), "role"),
             (("staff c", PASSWORD, "city"), "username"), (("x", PASSWORD, "city"), "username"),
             (("staff.e", PASSWORD, "district", "火星区"), "district"), (("staff.f", PASSWORD, "city", None, "telegram 123"), "identity")]
    for args, problem in cases:
        with pytest.raises(StaffError, match=problem):
            accounts.add_user(*args, districts=districts)  # type: ignore[arg-type]
    accounts.add_user("staff.g", PASSWORD, "city", districts=districts)
    with pytest.raises(StaffError, match="exists"):
        accounts.add_user("staff.g", PASSWORD, "city")
    assert accounts.count() == 1
    ledger.close()


def test_the_login_throttle_makes_a_name_wait_longer_from_one_address_and_forgets() -> None:
    clock = [1000.0]
    throttle = LoginThrottle(free=2, step=1.0, most=8.0, window=900, address_step=0.5, address_most=2.0, entries=3,
                             clock=lambda: clock[0])
    waits = []
    for _ in range(7):
        waits.append(throttle.wait("city1", "10.0.0.1"))
        throttle.attempt("city1", "10.0.0.1")
        clock[0] += 0.25
    assert waits == [0, 0, 0, 0.75, 1.75, 3.75, 7.75]  # after 2 free failures: 1, 2, 4, 8 s after the last
    throttle.attempt("city1", "10.0.0.1")
    assert throttle.wait("city1", "10.0.0.1") == 8.0  # at most `most`
    assert throttle.wait("city1", "10.0.0.2") == 0 and throttle.wait("city2", "10.0.0.1") == 0  # that pair only
    assert throttle.delay("10.0.0.1") == 2.0 and throttle.delay("10.0.0.2") == 0  # the address: 0.5 s a failure, capped
    clock[0] += 901
    assert throttle.wait("city1", "10.0.0.1") == 0 and throttle.delay("10.0.0.1") == 0  # failures expire


def test_a_success_forgets_the_pairs_failures_and_is_not_the_addresss() -> None:
    clock = [1000.0]
    throttle = LoginThrottle(free=1, step=10.0, address_step=0.5, entries=2, clock=lambda: clock[0])
    throttle.attempt("city1", "a"), throttle.attempt("city1", "a")
    assert throttle.wait("city1", "a") == 10.0 and throttle.delay("a") == 1.0
    throttle.attempt("city1", "a")  # let through later, and right
    throttle.succeeded("city1", "a")
    assert throttle.wait("city1", "a") == 0 and throttle.delay("a") == 1.0
    throttle.attempt("x", "b"), throttle.attempt("x", "b"), throttle.attempt("y", "c"), throttle.attempt("y", "c")
    assert throttle.delay("a") == 0 and throttle.delay("c") == 1.0  # only the most recent entries are kept
    assert throttle.wait("x" * 200, "d") == 0 and throttle.attempt("x" * 200, "d") == throttle.attempt("x" * 64 + "y", "d") - 1


def test_failed_logins_delay_the_next_attempt_from_that_address(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    ledger = Ledger.open(settings_for(f"sqlite:///{tmp_path / 'l.sqlite3'}"))
    settings = ConsoleSettings(ip_delay_step=0.4, ip_delay_max=5.0)
    staff_store(settings, ledger).add_user("city1", PASSWORD, "city")
    client = TestClient(create_app(settings, ledger))

    def timed(password: str) -> float:
        started = time.monotonic()
        client.post("/console/api/login", json={"username": "city1", "password": password})
        return time.monotonic() - started

    first = timed("wrong-password-1")
    timed("wrong-password-2")
    third = timed(PASSWORD)  # two failures before: 0.8 s, even for the right password
    assert third >= 0.8 and third - first >= 0.6  # the delay comes on top of the password check (slow on a busy machine)
    ledger.close()


def run_cli(*args: str, env: Dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console", *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def test_add_user_creates_a_hashed_account_and_refuses_bad_input(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'l.sqlite3'}", "STAFF_PASSWORD": "short"}
    short = run_cli("add-user", "lihua", "--role", "district", "--district", "海淀区", env=env)
    assert short.returncode == 2 and "10 characters" in short.stderr
    env["STAFF_PASSWORD"] = PASSWORD
    no_district = run_cli("add-user", "lihua", "--role", "district", env=env)
    assert no_district.returncode == 2 and "district" in no_district.stderr
    made = run_cli("add-user", "lihua", "--role", "district", "--district", "海淀区", "--identity", "tg:123", env=env)
    assert made.returncode == 0, made.stderr
    ledger = Ledger.open(settings_for(env["DATABASE_URL"]))
    with ledger.engine.begin() as conn:
        row = conn.execute(select(staff_users).where(staff_users.c.username == "lihua")).first()
    assert (row.role, row.district, row.identity) == ("district", "海淀区", "tg:123")
    assert verify_password(PASSWORD, row.password_hash) and PASSWORD not in row.password_hash
    assert run_cli("add-user", "lihua", "--role", "city", env=env).returncode == 2  # exists already
    ledger.close()


def test_set_password_ends_the_users_sessions(tmp_path: Path) -> None:
    ledger = Ledger.open(settings_for(f"sqlite:///{tmp_path / 'l.sqlite3'}"))
    accounts = StaffStore(ledger.engine)
    accounts.add_user("city1", PASSWORD, "city")
    session = accounts.login("city1", PASSWORD).session
    assert accounts.session(session) is not None
    assert accounts.login("city1", "wrong-password-1").known and not accounts.login("nobody", "wrong-password-1").known
    accounts.set_password("city1", "a-new-password-2")
    assert accounts.session(session) is None
    assert accounts.login("city1", PASSWORD).staff is None and accounts.login("city1", "a-new-password-2").staff is not None
    with pytest.raises(StaffError, match="no user"):
        accounts.set_password("nobody", "a-new-password-2")
    ledger.close()
