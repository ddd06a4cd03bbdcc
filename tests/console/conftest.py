"""Console fixtures: the console application in-process (Starlette's TestClient, an httpx client
driving the ASGI app) on a ledger on SQLite and on the real PostgreSQL server, with four staff
accounts; helpers to seed graduates and subscribers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Dict, Optional

import pytest
from starlette.testclient import TestClient

from console.accounts import StaffStore
from console.app import create_app, staff_store
from console.config import ConsoleSettings
from ledger.model import Registration
from ledger.store import Ledger
from notices.model import Subscription
from notices.store import NoticeStore
from tests.ledger.conftest import database_url, ledger  # noqa: F401 - the ledger fixtures, re-used

__all__ = ["database_url", "ledger"]

PASSWORD = "correct-horse-battery"
STAFF = {
    "city1": dict(role="city", identity="tg:9001"),
    "city2": dict(role="city", identity=None),
    "haidian": dict(role="district", district="海淀区", identity="wx:o-haidian-staff"),
    "chaoyang": dict(role="district", district="朝阳区", identity=None),
}
# no per-address delay here (test_accounts.py checks it on its own), so lockout tests stay fast
FAST = ConsoleSettings(ip_delay_step=0.0, ip_delay_max=0.0)


class Session:
    """One staff member's browser: their cookie jar and CSRF token."""

    def __init__(self, client: TestClient, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/console/api{path}", params=params)

    def post(self, path: str, body: Optional[Dict[str, Any]] = None, csrf: Optional[str] = "ours") -> Any:
        headers = {} if csrf is None else {"X-CSRF-Token": self.csrf if csrf == "ours" else csrf}
        return self.client.post(f"/console/api{path}", json=body or {}, headers=headers)

    def ok(self, path: str, body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        return dict(response.json())


@dataclass
class Console:
    settings: ConsoleSettings
    ledger: Ledger
    accounts: StaffStore
    notices: NoticeStore

    def client(self) -> TestClient:
        return TestClient(create_app(self.settings, self.ledger))

    def login(self, username: str, password: str = PASSWORD) -> Session:
        client = self.client()
        response = client.post("/console/api/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return Session(client, response.json()["csrf"])


@pytest.fixture
def console(ledger: Ledger) -> Console:
    accounts = staff_store(FAST, ledger)
    for username, account in STAFF.items():
        accounts.add_user(username, PASSWORD, **account)  # type: ignore[arg-type]
    return Console(FAST, ledger, accounts, NoticeStore(ledger.engine))


def graduate(ledger: Ledger, identity: str, name: str, phone: str, district: str, **changes: Any) -> str:
    values: Dict[str, Any] = dict(school="北京某大学", major="会计学", degree="本科", grad_year=2025, birth_year=2002,
                                  status="未就业", services=["recommendation"])
    reg = Registration(name=name, phone=phone, district=district, **{**values, **changes})
    return ledger.save(identity, reg).ref


def subscribe(notices: NoticeStore, identity: str, kind: str = "fair", districts: Optional[list] = None) -> None:
    notices.subscribe(Subscription(identity, kind, districts or []))


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def fair(district: Optional[str] = "海淀区", **changes: Any) -> Dict[str, Any]:
    """The compose form's JSON for a job fair."""
    body: Dict[str, Any] = {
        "kind": "fair", "title": "海淀区高校毕业生专场招聘会", "body": "百家企业，千个岗位。", "district": district or "",
        "event_date": day(10), "event_time": "9:00-12:00", "place": "海淀区某会展中心（示例）",
        "organiser": "海淀区人力资源公共服务中心（示例）", "valid_from": day(0), "valid_until": day(30),
    }
    body.update(changes)
    return body
