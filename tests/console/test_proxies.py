"""X-Forwarded-For and X-Forwarded-Proto count only from the proxies FORWARDED_ALLOW_IPS names:
for the login throttle, the audit log and the session cookie's Secure flag; in the application
and in the served process (uvicorn's own handling, which believes any loopback client, is off)."""
from __future__ import annotations

import base64
from contextlib import closing
from pathlib import Path
from typing import Dict, List

import httpx

from console.app import staff_store
from console.config import ConsoleSettings
from console.proxies import forwarded_client, parse_networks
from db.crypto import new_key
from devstack.console import running_console
from ledger.config import LedgerSettings
from ledger.store import Ledger
from tests.conftest import free_port
from tests.console.conftest import PASSWORD, Console
from tests.console.test_login import Door

PROXIES = parse_networks("10.0.0.1, 10.1.0.0/16")


def addresses(console: Console, action: str) -> List[str]:
    return [e["detail"]["address"] for e in console.ledger.audit_entries() if e["action"] == action]


def test_the_client_is_the_rightmost_address_a_trusted_proxy_did_not_add_itself() -> None:
    assert forwarded_client("10.0.0.1", ["198.51.100.7"], PROXIES) == "198.51.100.7"
    # the client wrote the first entry; the proxy appended what it saw
    assert forwarded_client("10.0.0.1", ["203.0.113.1, 198.51.100.7"], PROXIES) == "198.51.100.7"
    assert forwarded_client("10.0.0.1", ["203.0.113.1", "198.51.100.7, 10.1.2.3"], PROXIES) == "198.51.100.7"  # two proxies
    assert forwarded_client("10.0.0.1", ["10.1.2.3"], PROXIES) == "10.1.2.3"  # only proxies: the first
    assert forwarded_client("10.0.0.1", [], PROXIES) == "10.0.0.1"
    assert forwarded_client("10.0.0.1", ["198.51.100.7, unknown"], PROXIES) == "10.0.0.1"  # unreadable: the proxy itself
    assert forwarded_client("10.0.0.1", ["::ffff:198.51.100.7"], PROXIES) == "198.51.100.7"


def test_behind_the_configured_proxy_each_client_is_its_own_bucket_and_logged_by_address(console: Console) -> None:
    door = Door(console, forwarded_allow_ips=PROXIES, wait_step=600.0)
    guesses = [door.login("haidian", f"guess-{n}", address="10.0.0.1", X_Forwarded_For="198.51.100.66").status_code
               for n in range(7)]
    assert guesses == [401] * 6 + [429]
    ok = door.login("haidian", PASSWORD, address="10.0.0.1", X_Forwarded_For="198.51.100.66, 198.51.100.7",
                    X_Forwarded_Proto="https")  # a colleague behind the same proxy is not held back
    assert ok.status_code == 200 and "secure" in ok.headers["set-cookie"].lower()
    assert addresses(console, "login") == ["198.51.100.7"] and addresses(console, "login_throttled") == ["198.51.100.66"]


def test_from_anyone_else_the_headers_are_the_clients_own_words_and_ignored(console: Console) -> None:
    door = Door(console, forwarded_allow_ips=PROXIES, wait_step=600.0)
    guesses = [door.login("chaoyang", f"guess-{n}", address="192.0.2.50", X_Forwarded_For=f"198.51.100.{n}").status_code
               for n in range(7)]
    assert guesses == [401] * 6 + [429]  # a new made-up address per guess does not escape the slow-down
    ok = door.login("city2", PASSWORD, address="192.0.2.50", X_Forwarded_For="198.51.100.99", X_Forwarded_Proto="https")
    assert ok.status_code == 200 and "secure" not in ok.headers["set-cookie"].lower()
    assert addresses(console, "login") == ["192.0.2.50"] and addresses(console, "login_throttled") == ["192.0.2.50"]
    loopback = Door(console).login("city1", PASSWORD, address="127.0.0.1", X_Forwarded_For="198.51.100.5")
    assert loopback.status_code == 200 and addresses(console, "login")[-1] == "127.0.0.1"  # nothing trusted by default


def served_login_address(tmp_path: Path, env: Dict[str, str]) -> str:
    """The address the audit log records for a login sent from loopback with X-Forwarded-For,
    to a console process with the settings `env`."""
    tmp_path.mkdir()
    url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    key, hash_key = new_key(), b"p" * 32
    with closing(Ledger.open(LedgerSettings(url, [key], hash_key))) as ledger:
        staff_store(ConsoleSettings(), ledger).add_user("city1", PASSWORD, "city")
    env = {"DATABASE_URL": url, "LEDGER_KEYS": key.decode(), "LEDGER_HASH_KEY": base64.urlsafe_b64encode(hash_key).decode(), **env}
    port = free_port()
    with running_console(port, tmp_path, env):
        response = httpx.post(f"http://127.0.0.1:{port}/console/api/login", json={"username": "city1", "password": PASSWORD},
                              headers={"X-Forwarded-For": "203.0.113.1, 198.51.100.7"}, timeout=30.0)
        assert response.status_code == 200, response.text
    with closing(Ledger.open(LedgerSettings(url, [key], hash_key))) as ledger:
        return str([e for e in ledger.audit_entries() if e["action"] == "login"][-1]["detail"]["address"])


def test_the_served_console_believes_x_forwarded_for_only_from_forwarded_allow_ips(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)  # unset: uvicorn on its own would believe loopback
    assert served_login_address(tmp_path / "unset", {}) == "127.0.0.1"
    assert served_login_address(tmp_path / "empty", {"FORWARDED_ALLOW_IPS": ""}) == "127.0.0.1"
    assert served_login_address(tmp_path / "loopback", {"FORWARDED_ALLOW_IPS": "127.0.0.1"}) == "198.51.100.7"
