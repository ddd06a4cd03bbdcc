"""Logging in and out, the slow-down of failed logins (the same for known and unknown names, per
name and address, never a lock a stranger can set), the CSRF token on every state change, the
security headers, and how passwords and sessions are stored — on SQLite and PostgreSQL."""
from __future__ import annotations

import statistics
import time
from dataclasses import replace
from typing import Any, Dict, Tuple

import pytest
from sqlalchemy import func, select

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from console.app import create_app
from db.tables import staff_sessions, staff_users
from console.passwords import verify_password
from db.tables import broadcasts, notices
from tests.console.conftest import PASSWORD, Console, fair


def login(console: Console, username: str, password: str):  # type: ignore[no-untyped-def]
    return console.client().post("/console/api/login", json={"username": username, "password": password})


def count(console: Console, table) -> int:  # type: ignore[no-untyped-def]
    with console.ledger.engine.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def test_login_gives_a_strict_session_cookie_and_the_csrf_token(console: Console) -> None:
    client = console.client()
    assert client.get("/console/api/me").status_code == 401
    response = client.post("/console/api/login", json={"username": "haidian", "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "console_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    me = client.get("/console/api/me").json()
    assert me["user"] == {"username": "haidian", "role": "district", "district": "海淀区", "identity": "wx:o-haidian-staff"}
    assert me["csrf"] == response.json()["csrf"] and len(me["csrf"]) >= 32
    assert "海淀区" in me["lists"]["districts"] and me["lists"]["kinds"]["fair"] == "招聘会"
    assert [e["action"] for e in console.ledger.audit_entries()] == ["login"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(console: Console) -> None:
    wrong = login(console, "haidian", "not-the-password")
    unknown = login(console, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "用户名或密码错误"}
    assert "set-cookie" not in wrong.headers
    assert login(console, "haidian", "").status_code == 400


class Door:
    """One console application (one login throttle), reached from several client addresses."""

    def __init__(self, console: Console, **settings: Any) -> None:
        self.app = create_app(replace(console.settings, **settings), console.ledger)

    def login(self, username: str, password: str, address: str = "192.0.2.10", **headers: str) -> Any:
        client = TestClient(self.app, client=(address, 50000))
        return client.post("/console/api/login", json={"username": username, "password": password},
                           headers={name.replace("_", "-"): value for name, value in headers.items()})


def seen(response: Any) -> Tuple[int, Dict[str, str], int]:
    """What a client learns from a refused login: status, body, Retry-After (in tens of seconds)."""
    return response.status_code, response.json(), int(response.headers.get("retry-after", "0")) // 10


def test_known_and_unknown_names_get_the_same_answers_through_failures_and_the_slow_down(console: Console) -> None:
    door = Door(console, wait_step=600.0)
    known = [seen(door.login("haidian", f"wrong-password-{n}")) for n in range(8)]
    unknown = [seen(door.login("nobody", f"wrong-password-{n}")) for n in range(8)]
    assert known == unknown
    assert [status for status, _, _ in known] == [401] * 6 + [429] * 2
    assert known[6] == (429, {"error": "登录失败次数过多，请 10 分钟后再试"}, 60)
    assert door.login("haidian", PASSWORD).status_code == 429  # the right password is not even checked meanwhile
    assert "set-cookie" not in door.login("haidian", PASSWORD).headers
    # the log says someone is guessing at a real account; an unknown name is never written to it
    assert [e["actor"] for e in console.ledger.audit_entries() if e["action"] == "login_throttled"] == ["haidian"]


def test_a_stranger_elsewhere_cannot_hold_a_staff_member_back(console: Console) -> None:
    door = Door(console, wait_step=600.0)
    answers = [door.login("haidian", f"guess-{n}", address="203.0.113.66").status_code for n in range(20)]
    assert answers == [401] * 6 + [429] * 14
    assert door.login("haidian", PASSWORD, address="203.0.113.66").status_code == 429
    assert door.login("haidian", PASSWORD, address="192.0.2.10").status_code == 200  # from their own desk
    assert door.login("chaoyang", PASSWORD, address="203.0.113.66").status_code == 200  # another name from there
    throttled = [(e["actor"], e["detail"]) for e in console.ledger.audit_entries() if e["action"] == "login_throttled"]
    assert throttled == [("haidian", {"address": "203.0.113.66", "failures": 6})]  # once, and no lock anywhere
    with console.ledger.engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(staff_users).where(staff_users.c.locked_until.isnot(None))).scalar() == 0


def test_the_slow_down_passes_and_a_success_forgets_the_failures(console: Console) -> None:
    door = Door(console)  # 1 s after the 6th failure, 2 s after the 7th …
    assert [door.login("city1", f"guess-{n}").status_code for n in range(7)] == [401] * 6 + [429]
    time.sleep(1.1)
    assert door.login("city1", PASSWORD).status_code == 200
    assert [door.login("city1", f"guess-{n}").status_code for n in range(6)] == [401] * 6
    throttled = [e["actor"] for e in console.ledger.audit_entries() if e["action"] == "login_throttled"]
    assert throttled == ["city1", "city1"]


def test_known_and_unknown_names_take_as_long(console: Console) -> None:
    def took(name: str) -> float:
        started = time.perf_counter()
        console.accounts.login(name, "wrong-password-x")
        return time.perf_counter() - started

    known, unknown, malformed = [], [], []
    for _ in range(7):
        known.append(took("haidian")), unknown.append(took("nobody")), malformed.append(took("no body!"))
    for other in (unknown, malformed):  # one Argon2id check each, ~25 ms, far above a query's cost
        assert 0.5 < statistics.median(other) / statistics.median(known) < 2.0


def test_a_success_resets_the_count_of_failures(console: Console) -> None:
    door = Door(console)
    for n in range(5):
        assert door.login("city1", f"wrong-password-{n}").status_code == 401
    assert door.login("city1", PASSWORD).status_code == 200
    for n in range(5):
        assert door.login("city1", f"wrong-password-{n}").status_code == 401
    assert door.login("city1", PASSWORD).status_code == 200


def test_logout_ends_the_session_on_the_server(console: Console) -> None:
    session = console.login("city1")
    cookie = session.client.cookies["console_session"]
    assert session.post("/logout", csrf=None).status_code == 403  # logging out is a state change too
    assert session.ok("/logout") == {"ok": True}
    replay = console.client()
    replay.cookies.set("console_session", cookie, path="/console")
    assert replay.get("/console/api/me").status_code == 401
    assert count(console, staff_sessions) == 0


@pytest.mark.parametrize("csrf", [None, "", "forged-token-forged-token-forged-token"])
def test_state_changes_without_the_sessions_csrf_token_are_refused_and_change_nothing(console: Console, csrf) -> None:  # type: ignore[no-untyped-def]
    session = console.login("city1")
    refused = session.post("/notices", fair(), csrf=csrf)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    assert count(console, notices) == 0
    notice_id = session.ok("/notices", fair())["id"]
    assert session.post(f"/notices/{notice_id}/broadcasts", {"mode": "now"}, csrf=csrf).status_code == 403
    assert count(console, broadcasts) == 0
    broadcast_id = session.ok(f"/notices/{notice_id}/broadcasts", {"mode": "now"})["id"]
    assert session.post(f"/broadcasts/{broadcast_id}/cancel", csrf=csrf).status_code == 403
    assert session.get(f"/broadcasts/{broadcast_id}").json()["broadcast"]["status"] == "ready"
    assert session.post("/export", {"format": "csv"}, csrf=csrf).status_code == 403
    assert [e["action"] for e in console.ledger.audit_entries()] == ["login", "notice_publish", "broadcast"]


def test_another_sessions_token_does_not_do(console: Console) -> None:
    mine, theirs = console.login("city1"), console.login("city2")
    assert mine.post("/notices", fair(), csrf=theirs.csrf).status_code == 403
    assert count(console, notices) == 0


def test_state_changes_need_a_json_body(console: Console) -> None:
    session = console.login("city1")
    form = session.client.post("/console/api/notices", data={"kind": "fair", "title": "x"}, headers={"X-CSRF-Token": session.csrf})
    assert form.status_code == 415
    assert session.client.post("/console/api/notices", content=b"[1]", headers={"X-CSRF-Token": session.csrf,
                                                                                 "content-type": "application/json"}).status_code == 400
    assert console.client().post("/console/api/login", data={"username": "city1", "password": PASSWORD}).status_code == 415
    assert count(console, notices) == 0


def test_every_answer_carries_the_security_headers(console: Console) -> None:
    client = console.client()
    for path in ("/console", "/console/static/app.js", "/console/api/me"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
    assert client.get("/console/static/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/console/static/page.html").status_code == 404


def test_an_unexpected_error_is_a_500_with_the_security_headers_too(console: Console, caplog) -> None:  # type: ignore[no-untyped-def]
    app = create_app(console.settings, console.ledger)

    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    app.router.routes.append(Route("/console/api/broken", broken))
    answer = TestClient(app, raise_server_exceptions=False).get("/console/api/broken")
    assert answer.status_code == 500 and answer.json() == {"error": "服务器出错了，请稍后再试"}
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"] and answer.headers["cache-control"] == "no-store"
    assert "a bug" in caplog.text


def test_passwords_and_session_ids_are_stored_hashed(console: Console) -> None:
    session = console.login("city1")
    with console.ledger.engine.begin() as conn:
        hashes = dict(conn.execute(select(staff_users.c.username, staff_users.c.password_hash)).all())
        session_ids = conn.execute(select(staff_sessions.c.id)).scalars().all()
    assert all(value.startswith("$argon2id$") and PASSWORD not in value for value in hashes.values())
    assert len(set(hashes.values())) == 4  # one salt per user: the same password hashes differently
    assert verify_password(PASSWORD, hashes["city1"]) and not verify_password(PASSWORD + "x", hashes["city1"])
    assert session.client.cookies["console_session"] not in session_ids and len(session_ids) == 1
