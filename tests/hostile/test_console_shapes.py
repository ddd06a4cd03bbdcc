"""Wrong JSON shapes at every console endpoint that reads a JSON body, sent by a logged-in city
staff member with a valid CSRF token, so that each request gets past the session and CSRF checks
to the handler's own, on SQLite and on PostgreSQL.

For every field the console expects a string in (a flag: a boolean or a string), a seeded generator
makes values of other JSON types — numbers, booleans, lists (also lists holding a valid value),
objects, nested mixtures — and strings no database takes (a lone surrogate, a NUL); scheduled
times get offsets no time zone has. Each one, alone or several in one body, must be answered 400
with a Chinese message and the security headers; never a 500. Bodies of endpoints that read no
field, and bodies that are not objects, may get any answer but a 5xx. Afterwards the valid bodies
still work, so the refusals were about the shapes.
"""
from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, Iterator, List, Optional, Tuple

from starlette.testclient import TestClient

from console.app import create_app
from console.web import SECURITY_HEADERS
from handoff.store import HandoffStore
from ledger.export import BEIJING
from tests.console.conftest import PASSWORD, Console, Session, console, database_url, fair, graduate, ledger  # noqa: F401
from unanswered.store import UnansweredStore

SEED = 20_514
RANDOM_VALUES = 6  # generated values per field, on top of WRONG_TYPES
RANDOM_BODIES = 12  # bodies per endpoint with several fields wrong at once
TEXT, FLAG = "text", "flag"

WRONG_TYPES: List[Any] = [0, -1, 2025, 1.5, 1e308, 10**40, True, False, [], {}, [[]], {"": ""}]
UNSTORABLE = ["\ud800", "正文\udfff", "a\x00b"]  # JSON may carry them; UTF-8 and PostgreSQL do not
ODD_OFFSETS = ["9999-12-31T23:00-10:00", "0001-01-01T00:30+05:00", "2030-07-01T09:30+23:59", "2030-07-01T09:30-20:00",
               "2030-07-01T09:30+24:00", "2030-07-01T09:30+14:01"]


@dataclass
class Endpoint:
    """A console endpoint with a JSON body: where, a body it accepts, and what each field must be."""

    path: str  # under /console/api
    body: Dict[str, Any]
    fields: Dict[str, str] = field(default_factory=dict)  # name → TEXT | FLAG; nested objects as "filters.status"
    odd: Dict[str, List[str]] = field(default_factory=dict)  # strings of the right type that must still be refused


def wrong_value(rng: random.Random, valid: Any, depth: int = 0) -> Any:
    """A JSON value that is not a string: a number, a boolean, or a list or object of anything
    (often holding the valid value, which must not make it acceptable)."""
    choice = rng.randrange(7 if depth < 3 else 4)
    if choice == 0:
        return rng.choice([rng.randrange(-10**6, 10**6), rng.random() * 10**rng.randrange(0, 300), -0.0])
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return [valid]
    if choice == 3:
        return {"value": valid}
    if choice == 4:
        return [wrong_value(rng, valid, depth + 1) for _ in range(rng.randrange(0, 4))]
    if choice == 5:
        key = "".join(rng.choices(string.ascii_letters, k=rng.randrange(1, 8)))
        return {key: wrong_value(rng, valid, depth + 1)}
    return [valid, "".join(rng.choices(string.ascii_letters + "见习", k=rng.randrange(0, 12)))]


def with_value(body: Dict[str, Any], name: str, value: Any) -> Dict[str, Any]:
    """A copy of `body` with `name` (or `outer.inner`) set to `value`."""
    copy = {key: dict(item) if isinstance(item, dict) else item for key, item in body.items()}
    outer, _, inner = name.partition(".")
    if inner:
        copy[outer][inner] = value
    else:
        copy[outer] = value
    return copy


def get_value(body: Dict[str, Any], name: str) -> Any:
    outer, _, inner = name.partition(".")
    return body[outer][inner] if inner else body[outer]


def wrong_bodies(endpoint: Endpoint, rng: random.Random) -> Iterator[Tuple[str, Dict[str, Any]]]:
    """(what is wrong, the body) for each field alone, then several fields at once."""
    for name, kind in endpoint.fields.items():
        valid = get_value(endpoint.body, name)
        values = [v for v in WRONG_TYPES if kind == TEXT or not isinstance(v, bool)]
        values += [wrong_value(rng, valid) for _ in range(RANDOM_VALUES)]
        if kind == TEXT:
            values += endpoint.odd.get(name, [])
        for value in values:
            if kind == FLAG and isinstance(value, bool):
                continue
            yield f"{name}={value!r:.60}", with_value(endpoint.body, name, value)
    names = list(endpoint.fields)
    for _ in range(RANDOM_BODIES if names else 0):
        body = endpoint.body
        chosen = rng.sample(names, rng.randrange(1, len(names) + 1))
        for name in chosen:
            body = with_value(body, name, wrong_value(rng, get_value(endpoint.body, name)))
        if any(not isinstance(get_value(body, name), bool) or endpoint.fields[name] == TEXT for name in chosen):
            yield f"several: {', '.join(chosen)}", body


def not_objects(rng: random.Random) -> List[Any]:
    return [[], ["x"], "x", 1, 1.5, True, None, [{"mode": "now"}], [wrong_value(rng, "x") for _ in range(3)]]


def assert_clear_refusal(response: Any, what: str) -> None:
    assert response.status_code == 400, (what, response.status_code, response.text[:300])
    message = response.json()["error"]
    assert any("\u4e00" <= char <= "\u9fff" for char in message), (what, message)
    assert_headers(response, what)


def assert_headers(response: Any, what: str) -> None:
    missing = [name for name in SECURITY_HEADERS if name.lower() not in response.headers]
    assert not missing, (what, response.status_code, missing)


@dataclass
class Seeded:
    notice: int
    case: int
    question: str
    ref: str


def seed(console: Console, session: Session) -> Seeded:
    notice = session.ok("/notices", fair())["id"]
    case = HandoffStore(console.ledger.engine, console.ledger.cipher).open("tg:5001", "海淀区", [("graduate", "转人工")])[0].id
    questions = UnansweredStore(console.ledger.engine, console.ledger.cipher)
    questions.record("tg", "灵活就业社保补贴什么时候发", "out_of_scope", None, None)
    ref = graduate(console.ledger, "wx:g1", "王芳", "13912345678", "海淀区")
    return Seeded(notice, case, questions.open_questions()[0].key, ref)


def endpoints(seeded: Seeded) -> List[Endpoint]:
    later = (datetime.now(BEIJING) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    notice_fields = {name: TEXT for name in ("kind", "title", "body", "district", "industry", "degree", "valid_from",
                                             "valid_until", "event_date", "event_time", "place", "online_link", "organiser")}
    filters = {"district": "海淀区", "grad_year": "2025", "status": "未就业", "needs": "recommendation",
               "difficulty": False, "owed": "1"}
    return [
        Endpoint("/notices", fair(industry="信息技术", degree="本科", online_link="https://example.org/fair"), notice_fields,
                 {"title": UNSTORABLE, "body": UNSTORABLE, "place": UNSTORABLE, "valid_from": UNSTORABLE}),
        Endpoint(f"/notices/{seeded.notice}/broadcasts", {"mode": "schedule", "scheduled_at": later},
                 {"mode": TEXT, "scheduled_at": TEXT}, {"scheduled_at": ODD_OFFSETS + UNSTORABLE}),
        Endpoint(f"/ledger/{seeded.ref}/follow-ups", {"kind": "guidance", "date": "2025-07-01", "note": "电话指导"},
                 {"kind": TEXT, "date": TEXT, "note": TEXT}, {"note": UNSTORABLE, "date": UNSTORABLE}),
        Endpoint("/export", {"format": "csv", "filters": filters},
                 {"format": TEXT, "filters.district": TEXT, "filters.grad_year": TEXT, "filters.status": TEXT,
                  "filters.needs": TEXT, "filters.difficulty": FLAG, "filters.owed": FLAG}),
        Endpoint(f"/handoffs/{seeded.case}/reply", {"text": "你好，请说一下你的毕业年份。"}, {"text": TEXT},
                 {"text": UNSTORABLE}),
        Endpoint(f"/unanswered/{seeded.question}/resolve", {"resolution": "ignored"}, {"resolution": TEXT}),
    ]


def bodyless(seeded: Seeded) -> List[str]:
    """Endpoints that read no field of their body (it must still be a JSON object)."""
    return ["/logout", f"/notices/{seeded.notice}/withdraw", "/broadcasts/999999/approve", "/broadcasts/999999/cancel",
            f"/handoffs/{seeded.case}/close"]


def browser(console: Console) -> TestClient:
    """A client that gets a 500 as an answer (as a browser would) rather than as the server's exception."""
    return TestClient(create_app(console.settings, console.ledger), raise_server_exceptions=False)


def log_in(console: Console, username: str) -> Session:
    client = browser(console)
    response = send(client, "/login", {"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return Session(client, response.json()["csrf"])


def send(client: TestClient, path: str, body: Any, headers: Optional[Dict[str, str]] = None) -> Any:
    return client.post(f"/console/api{path}", content=json.dumps(body).encode(),
                       headers={"content-type": "application/json", **(headers or {})})


def post(session: Session, path: str, body: Any) -> Any:
    return send(session.client, path, body, {"X-CSRF-Token": session.csrf})


def test_wrong_json_types_at_every_console_endpoint_get_a_clear_400(console: Console) -> None:
    rng = random.Random(SEED)
    session = log_in(console, "city1")
    seeded = seed(console, session)
    sent = 0
    for endpoint in endpoints(seeded):
        for what, body in wrong_bodies(endpoint, rng):
            assert_clear_refusal(post(session, endpoint.path, body), f"{endpoint.path} {what}")
            sent += 1
        for body in not_objects(rng):
            assert_clear_refusal(post(session, endpoint.path, body), f"{endpoint.path} body {body!r:.60}")
    assert sent > 400
    # the refusals were about the shapes: the valid bodies are accepted, and nothing else was written
    assert [e["action"] for e in console.ledger.audit_entries()] == ["login", "notice_publish"]
    for endpoint in endpoints(seeded):
        response = post(session, endpoint.path, endpoint.body)
        assert response.status_code == 200, (endpoint.path, response.text)


def test_bodies_that_no_field_is_read_from_never_get_a_5xx(console: Console) -> None:
    rng = random.Random(SEED + 1)
    session = log_in(console, "city1")
    seeded = seed(console, session)
    for path in bodyless(seeded)[1:]:
        for body in not_objects(rng) + [{"x": wrong_value(rng, "x")} for _ in range(5)]:
            response = post(session, path, body)
            assert response.status_code < 500, (path, body, response.text)
            assert_headers(response, path)


# as sent on the wire, percent-encoded: invalid UTF-8 and an encoded lone surrogate included
ODD_QUERIES = ["%C2%B2%E2%81%B0%C2%B2%E2%81%B5", "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%95", "2025%00", "%ED%A0%80", "%FF%FE",
               "-1", "1e3", "9" * 5000, "%27%20OR%201%3D1%20--", "", "%20"]


def test_odd_query_strings_never_get_a_5xx(console: Console) -> None:
    session = log_in(console, "city1")
    for value in ODD_QUERIES:
        for path, name in (("/ledger", "grad_year"), ("/ledger", "page"), ("/ledger", "status"), ("/ledger", "district"),
                           ("/ledger", "owed"), ("/handoffs", "status"), ("/broadcasts", "status")):
            for query in (f"{name}={value}", f"{name}={value}&{name}=x", f"{name}=x&{name}={value}"):
                response = session.client.get(f"/console/api{path}?{query}")
                assert response.status_code < 500, (path, query, response.text)
                assert_headers(response, path)


def test_login_answers_wrong_types_with_a_clear_400(console: Console) -> None:
    rng = random.Random(SEED + 2)
    client = browser(console)
    login = Endpoint("/login", {"username": "city1", "password": PASSWORD}, {"username": TEXT, "password": TEXT})
    for what, body in wrong_bodies(login, rng):
        assert_clear_refusal(send(client, "/login", body), f"login {what}")
    for body in not_objects(rng):
        assert_clear_refusal(send(client, "/login", body), f"login body {body!r:.60}")
    assert send(client, "/login", login.body).status_code == 200

