"""The web chat's sessions and rate limits, in this process with a scripted assistant (cheap), on
the in-process store and on the real Redis: a session id the gateway did not issue is replaced
(session fixation), and a burst of 500 messages is mostly refused with 429 and never reaches the
assistant. Fixation through a gateway process and the real Rasa: test_web.py."""
from __future__ import annotations

import collections
import json
import time
import uuid
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import redis
from starlette.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.app import create_app
from bot.channels.web import keys
from bot.channels.web.channel import COOKIE
from bot.gateway.config import GatewaySettings
from bot.gateway.limits import Rate
from bot.gateway.replies import Reply
from bot.gateway.stores import MemoryStore, RedisStore, Store
from db.sessions import hashed_session
from tests.conftest import free_port

REDIS_URL = "redis://127.0.0.1:6379/14"
JSON = {"content-type": "application/json"}
FORGED = "AttackerChoseThisSessionId0123456789ab"  # the shape ids had before: accepted then


class Assistant:
    """Answers every message with its text; remembers who asked what."""

    def __init__(self) -> None:
        self.asked: List[Tuple[str, str]] = []

    async def ask(self, channel: str, user: str, text: str, turn: Optional[str] = None, once: bool = False) -> List[Reply]:
        self.asked.append((user, text))
        return [Reply(f"答：{text}")]

    async def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        return None


StoreFactory = Callable[[], Store]


@pytest.fixture(params=["memory", "redis"])
def stores(request: pytest.FixtureRequest) -> Iterator[StoreFactory]:
    """Makes the stores of one test: each its own in-process store, or all on one Redis prefix
    (replicas sharing it), whose keys are deleted after."""
    prefix = f"test-web-{uuid.uuid4().hex[:8]}:"
    yield (lambda: MemoryStore()) if request.param == "memory" else (lambda: RedisStore(REDIS_URL, prefix))
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


@contextmanager
def gateway(store: Store, assistant: Assistant, session: Rate = Rate(20, 60), address: Rate = Rate(60, 60),
            client: Tuple[str, int] = ("203.0.113.7", 50000)) -> Iterator[TestClient]:
    settings = GatewaySettings(web=True, web_session_limit=session, web_address_limit=address)
    with TestClient(create_app(settings, assistant=assistant, store=store), client=client) as http:  # type: ignore[arg-type]
        yield http


def post(http: TestClient, body: bytes, cookie: Optional[str] = None, headers: Optional[Dict[str, str]] = None):  # type: ignore[no-untyped-def]
    """A message with exactly the cookie given (the client's own jar is left out)."""
    http.cookies.clear()
    sent = {**JSON, **(headers or {})}
    if cookie is not None:
        sent["cookie"] = f"{COOKIE}={cookie}"
    return http.post("/chat/message", content=body, headers=sent)


def message(text: str) -> bytes:
    return json.dumps({"message": text}, ensure_ascii=False).encode("utf-8")


def issued(response) -> str:  # type: ignore[no-untyped-def]
    return str(response.cookies[COOKIE])


# ---------------------------------------------------------------- sessions


def test_a_session_id_the_gateway_did_not_issue_is_replaced(stores: StoreFactory) -> None:
    assistant = Assistant()
    with gateway(stores(), assistant) as http:
        own = issued(post(http, message("你好")))
        for forged in (FORGED, own.split(".")[0], own.split(".")[0] + "." + "A" * 22, own[:-1] + ("A" if own[-1] != "A" else "B")):
            answer = post(http, message("见习补贴怎么申请"), cookie=forged)
            assert answer.status_code == 200 and issued(answer) != forged
        assert post(http, message("再问一句"), cookie=own).cookies.get(COOKIE) is None  # its own id is kept
        users = [user for user, _ in assistant.asked]
        assert hashed_session(FORGED) not in users and users[-1] == hashed_session(own.split(".")[0]) and len(set(users)) == 5
        # the page and the inbox do not take a chosen id either
        page = http.get("/chat", headers={"cookie": f"{COOKIE}={FORGED}"})
        assert issued(page) != FORGED
        assert http.get("/chat", headers={"cookie": f"{COOKIE}={own}"}).cookies.get(COOKIE) is None


def test_the_inbox_of_a_chosen_id_is_not_handed_out(stores: StoreFactory) -> None:
    store = stores()
    with gateway(store, Assistant()) as http:
        for key in (keys.inbox(FORGED), keys.inbox(hashed_session(FORGED))):
            http.portal.call(store.append, key, json.dumps({"text": "工作人员的回复"}), 60)  # type: ignore[union-attr]
        http.cookies.clear()
        assert http.get("/chat/inbox", headers={"cookie": f"{COOKIE}={FORGED}"}).json() == {"messages": []}
        for key in (keys.inbox(FORGED), keys.inbox(hashed_session(FORGED))):
            assert http.portal.call(store.drain, key) == [json.dumps({"text": "工作人员的回复"})]  # type: ignore[union-attr]


def test_the_shared_store_holds_the_sessions_hash_only() -> None:
    """The rate limits, the offered buttons and the inbox are keyed by the hash the sender id holds:
    whoever reads Redis (the push worker, an operator) cannot make a cookie from what is there."""
    prefix = f"test-web-{uuid.uuid4().hex[:8]}:"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        with gateway(RedisStore(REDIS_URL, prefix), Assistant()) as http:
            cookie = issued(post(http, message("你好")))
            assert post(http, message("见习补贴怎么申请"), cookie=cookie).status_code == 200
            http.cookies.clear()
            assert http.get("/chat/inbox", headers={"cookie": f"{COOKIE}={cookie}"}).status_code == 200
        keys = [key.decode() for key in client.scan_iter(f"{prefix}*")]
        session = cookie.split(".")[0]
        assert any(hashed_session(session) in key for key in keys), keys
        held = " ".join([*keys, *(repr(stored(client, key)) for key in keys)])
        assert session not in held and cookie not in held
    finally:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


def stored(client: redis.Redis, key: str) -> object:  # type: ignore[type-arg]
    """What a Redis key holds, whatever its type."""
    kind = client.type(key).decode()
    reads: Dict[str, Callable[[], object]] = {
        "string": lambda: client.get(key), "list": lambda: client.lrange(key, 0, -1),
        "zset": lambda: client.zrange(key, 0, -1, withscores=True), "hash": lambda: client.hgetall(key),
        "set": lambda: client.smembers(key)}
    return reads.get(kind, lambda: None)()


def test_a_session_issued_by_one_replica_is_kept_by_another_sharing_redis() -> None:
    prefix = f"test-web-{uuid.uuid4().hex[:8]}:"
    first, second = Assistant(), Assistant()
    try:
        with gateway(RedisStore(REDIS_URL, prefix), first) as one, gateway(RedisStore(REDIS_URL, prefix), second) as two:
            cookie = issued(post(one, message("你好")))
            answer = post(two, message("见习补贴怎么申请"), cookie=cookie)
            assert answer.status_code == 200 and answer.cookies.get(COOKIE) is None
        assert first.asked[0][0] == second.asked[0][0] == hashed_session(cookie.split(".")[0])
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


# ---------------------------------------------------------------- rate limits


def test_a_burst_of_500_messages_is_mostly_refused_and_never_reaches_the_assistant(stores: StoreFactory) -> None:
    """One client address, a fresh session for each message (no cookie kept): the address limit."""
    assistant = Assistant()
    started = time.monotonic()
    with gateway(stores(), assistant) as http:
        answers = [post(http, message(f"帮我订{n}号的机票")) for n in range(500)]
    elapsed = time.monotonic() - started
    statuses = collections.Counter(a.status_code for a in answers)
    assert set(statuses) == {200, 429}
    assert statuses[200] <= 60 + 1 + elapsed, statuses  # the burst, and what refilled meanwhile
    assert statuses[429] >= 400 and len(assistant.asked) == statuses[200]
    refused = next(a for a in answers if a.status_code == 429)
    assert 1 <= int(refused.headers["retry-after"]) <= 2
    assert "太快" in refused.json()["error"] and refused.cookies.get(COOKIE) is None
    assert refused.headers["x-content-type-options"] == "nosniff" and "content-security-policy" in refused.headers


def test_one_session_is_limited_before_its_address(stores: StoreFactory) -> None:
    assistant = Assistant()
    with gateway(stores(), assistant, session=Rate(5, 60)) as http:
        cookie = issued(post(http, message("第1问")))
        answers = [post(http, message(f"第{n}问"), cookie=cookie) for n in range(2, 30)]
        assert [a.status_code for a in answers[:4]] == [200] * 4 and {a.status_code for a in answers[4:]} == {429}
        assert int(answers[-1].headers["retry-after"]) == 12  # one message every 12 s
        assert post(http, message("换个会话")).status_code == 200  # the address still has room


def test_a_refused_client_may_send_again_after_retry_after(stores: StoreFactory) -> None:
    with gateway(stores(), Assistant(), address=Rate(2, 1)) as http:
        assert [post(http, message("问")).status_code for _ in range(3)] == [200, 200, 429]
        time.sleep(0.6)
        assert post(http, message("问")).status_code == 200


def test_addresses_have_buckets_of_their_own(stores: StoreFactory) -> None:
    """Client addresses as a trusted proxy names them (uvicorn's X-Forwarded-For handling, as the
    gateway process runs it): each its own bucket, and the addresses of one IPv6 /64 one."""
    settings = GatewaySettings(web=True, web_address_limit=Rate(3, 60))
    app = ProxyHeadersMiddleware(create_app(settings, assistant=Assistant(), store=stores()), trusted_hosts="127.0.0.1")  # type: ignore[arg-type]
    with TestClient(app, client=("127.0.0.1", 50000)) as http:  # type: ignore[arg-type]
        def status(address: str) -> int:
            return int(post(http, message("问"), headers={"x-forwarded-for": f"{address}, 127.0.0.1"}).status_code)

        assert [status("198.51.100.1") for _ in range(4)] == [200, 200, 200, 429]
        assert status("198.51.100.2") == 200
        assert [status(f"2001:db8::{n}") for n in range(1, 5)] == [200, 200, 200, 429]
        assert status("2001:db8:0:1::1") == 200


def test_with_redis_away_messages_are_answered_unlimited() -> None:
    assistant = Assistant()
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")
    with gateway(store, assistant, address=Rate(1, 60)) as http:
        first = post(http, message("你好"))
        assert first.status_code == 200 and post(http, message("再问"), cookie=issued(first)).status_code == 200
    assert len(assistant.asked) == 2
