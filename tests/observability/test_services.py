"""Each service's /health and /metrics, on real processes: the text parses as valid exposition
format (prometheus.py), counters move after real turns through the real stack and real
deliveries, and /health turns 503 (fast) when a dependency is down while /health/live stays 200.

Dependencies taken down: Rasa and Redis for a gateway pointed at closed ports; Redis for a push
worker pointed at a closed port; the database of a console whose PostgreSQL database is dropped
under it (the shared servers themselves are never stopped)."""
from __future__ import annotations

import base64
import os
import secrets
import time
from contextlib import closing
from pathlib import Path
from typing import Dict, Iterator, Tuple

import httpx
import pytest
from sqlalchemy import create_engine, text

from console.app import staff_store
from console.config import ConsoleSettings
from db.crypto import new_key
from devstack.console import running_console
from devstack.stack import Stack, running_gateway, running_service
from ledger.config import LedgerSettings
from ledger.store import Ledger
from tests.conftest import Conversation, free_port
from tests.databases import ADMIN_URL, postgres_database
from tests.observability.prometheus import Samples, parse, total, value
from tests.push.conftest import TOKEN as PUSH_TOKEN, Bureau, chats, redis_prefix, worker_env  # noqa: F401 - redis_prefix is a fixture
from tests.standins.telegram import TelegramStandIn
from tests.standins.wechat import WeChatAPIStandIn, WeChatPushes

pytestmark = pytest.mark.stack

WX_TOKEN, APP_ID, APP_SECRET = "obsToken42", "wx3a9c0e1d2b4f6a8c", "7c9d0f1a3b5e7c9d1f3a5b7c9e1d3f5a"
TG_TOKEN = "7000002:AAH-observability_token_0123456789"
PASSWORD = "correct-horse-battery"
FAST_HEALTH = 2.5  # seconds: the probes give up after 1.5 s


def scrape(url: str) -> Samples:
    response = httpx.get(url, timeout=10.0)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def health(url: str) -> Tuple[int, Dict[str, str], float]:
    started = time.monotonic()
    response = httpx.get(url, timeout=10.0)
    return response.status_code, response.json(), time.monotonic() - started


# ---------------------------------------------------------------- gateway


class Gateway:
    def __init__(self, port: int, metrics: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.metrics = f"http://127.0.0.1:{metrics}/metrics"
        self.internal = f"http://127.0.0.1:{metrics}"


@pytest.fixture(scope="module")
def standins() -> Iterator[Tuple[WeChatAPIStandIn, TelegramStandIn]]:
    with WeChatAPIStandIn(APP_ID, APP_SECRET) as wechat, TelegramStandIn(TG_TOKEN) as telegram:
        yield wechat, telegram


@pytest.fixture(scope="module")
def gateway(stack: Stack, standins: Tuple[WeChatAPIStandIn, TelegramStandIn],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """All three channels (Telegram polling the stand-in), metrics on an internal port."""
    wechat, telegram = standins
    port, metrics = free_port(), free_port()
    env = {"WECHAT_TOKEN": WX_TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET, "WECHAT_AES_KEY": "",
           "WECHAT_API_BASE_URL": wechat.url, "TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": telegram.api_base_url,
           "TELEGRAM_WEBHOOK_URL": "", "WEB_CHAT": "on", "REDIS_URL": "", "GATEWAY_METRICS_PORT": str(metrics)}
    with running_gateway(stack.rasa_url, port, tmp_path_factory.mktemp("obs-gateway"), env):
        yield Gateway(port, metrics)


def test_gateway_counts_real_turns_of_every_channel(gateway: Gateway, standins: Tuple[WeChatAPIStandIn, TelegramStandIn]) -> None:
    telegram = standins[1]
    before = scrape(gateway.metrics)
    with httpx.Client(base_url=gateway.url, timeout=30.0) as web:
        assert web.post("/chat/message", json={"message": "见习补贴怎么申请"}).status_code == 200
        assert web.post("/chat/message", content=b"{broken", headers={"content-type": "application/json"}).status_code == 400
        pushes = WeChatPushes(WX_TOKEN, APP_ID)
        params, body = pushes.signed(pushes.text("o" + secrets.token_hex(13), "你好"))
        assert web.post("/wechat", params=params, content=body, headers={"content-type": "text/xml"}).status_code == 200
    chat = secrets.randbelow(10**8) + 10**8
    telegram.send_text(chat, "你好")
    telegram.wait_for_messages(chat, 1)
    after = scrape(gateway.metrics)

    for channel in ("web", "wx", "tg"):
        moved = value(after, "gateway_turns_total", channel=channel, outcome="answered") - \
            value(before, "gateway_turns_total", channel=channel, outcome="answered")
        assert moved == 1, channel
        assert value(after, "gateway_turn_seconds_count", channel=channel) - value(before, "gateway_turn_seconds_count", channel=channel) == 1
    assert total(after, "gateway_rasa_errors_total") == total(before, "gateway_rasa_errors_total")
    refused = value(after, "gateway_http_responses_total", route="/chat/message", status="400") - \
        value(before, "gateway_http_responses_total", route="/chat/message", status="400")
    assert refused == 1  # the broken body: counted as an answer, not as a turn
    assert value(after, "process_resident_memory_bytes") > 10_000_000


def test_gateway_health_and_metrics_stay_off_the_public_port(gateway: Gateway) -> None:
    status, body, took = health(gateway.url + "/health")
    assert (status, body["status"], body["rasa"]) == (200, "ok", "up") and took < FAST_HEALTH
    assert set(body["channels"]) == {"wechat", "telegram", "web"}
    assert httpx.get(gateway.url + "/metrics").status_code == 404
    assert health(gateway.internal + "/health")[0] == 200
    assert httpx.get(gateway.internal + "/health/live").json() == {"status": "ok"}
    assert httpx.post(gateway.metrics).status_code == 405


def test_gateway_health_is_503_while_rasa_and_redis_are_down(tmp_path: Path) -> None:
    port, metrics = free_port(), free_port()
    nowhere = f"http://127.0.0.1:{free_port()}"
    env = {"WEB_CHAT": "on", "WECHAT_TOKEN": "", "TELEGRAM_BOT_TOKEN": "", "GATEWAY_METRICS_PORT": str(metrics),
           "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    with running_gateway(nowhere, port, tmp_path, env):
        status, body, took = health(f"http://127.0.0.1:{port}/health")
        assert (status, body["status"], body["rasa"], body["redis"]) == (503, "unavailable", "down", "down")
        assert took < FAST_HEALTH
        assert health(f"http://127.0.0.1:{metrics}/health")[0] == 503
        assert httpx.get(f"http://127.0.0.1:{port}/health/live").status_code == 200
        parse(httpx.get(f"http://127.0.0.1:{metrics}/metrics").text)


def test_gateway_with_the_push_worker_inside_reports_both(tmp_path: Path) -> None:
    """The embedded default (no Redis): the worker's database is probed, its metrics served too."""
    port, metrics = free_port(), free_port()
    ledger = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}", "LEDGER_KEYS": new_key().decode(),
              "LEDGER_HASH_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode()}
    env = {"WEB_CHAT": "on", "WECHAT_TOKEN": "", "TELEGRAM_BOT_TOKEN": "", "REDIS_URL": "", "PUSH_IN_GATEWAY": "on",
           "GATEWAY_METRICS_PORT": str(metrics), **ledger}
    with running_gateway(f"http://127.0.0.1:{free_port()}", port, tmp_path, env):
        status, body, _ = health(f"http://127.0.0.1:{port}/health")
        samples = scrape(f"http://127.0.0.1:{metrics}/metrics")
    assert (status, body["rasa"], body["database"]) == (503, "down", "up")
    assert ("push_queue_depth", (("queue", "tg"),)) in samples and ("push_broadcasts_running", ()) in samples


# ---------------------------------------------------------------- action server


def test_action_server_counts_answers_fallbacks_and_reloads(stack: Stack, stack_kb_dir: Path) -> None:
    before = scrape(stack.actions_url + "/metrics")
    talk = Conversation(stack, f"obs:{secrets.token_hex(6)}")
    try:
        talk.say("/out_of_scope")  # an intent as a payload: action_out_of_scope answers
        page = next(stack_kb_dir.glob("*.yml"))
        stamp = page.stat().st_mtime + 2
        os.utime(page, (stamp, stamp))  # same content, new time: the next answer reloads it
        talk.say("见习补贴怎么申请")
    finally:
        talk.http.close()
    after = scrape(stack.actions_url + "/metrics")
    moved = {name: total(after, name) - total(before, name)
             for name in ("actions_answers_total", "actions_fallback_answers_total")}
    assert moved["actions_answers_total"] >= 2 and moved["actions_fallback_answers_total"] >= 1
    assert value(after, "actions_fallback_answers_total", action="action_out_of_scope") > \
        value(before, "actions_fallback_answers_total", action="action_out_of_scope")
    assert value(after, "actions_kb_reloads_total", result="ok") > value(before, "actions_kb_reloads_total", result="ok")
    assert 0 < value(after, "actions_fallback_ratio") <= 1
    status, body, took = health(stack.actions_url + "/health")
    assert (status, body) == (200, {"status": "ok", "database": "up"}) and took < FAST_HEALTH


# ---------------------------------------------------------------- console


@pytest.fixture
def console_db(tmp_path: Path) -> Iterator[Tuple[str, Dict[str, str]]]:
    """A console process on a PostgreSQL database of its own, with one account."""
    with postgres_database("obs_console") as url:
        key, hash_key = new_key(), b"o" * 32
        with closing(Ledger.open(LedgerSettings(url, [key], hash_key))) as ledger:
            staff_store(ConsoleSettings(), ledger).add_user("city1", PASSWORD, "city")
        env = {"DATABASE_URL": url, "LEDGER_KEYS": key.decode(), "LEDGER_HASH_KEY": base64.urlsafe_b64encode(hash_key).decode()}
        port, metrics = free_port(), free_port()
        with running_console(port, tmp_path, {**env, "CONSOLE_METRICS_PORT": str(metrics)}):
            yield f"http://127.0.0.1:{port}", {"database": url.rsplit("/", 1)[1], "metrics": f"http://127.0.0.1:{metrics}"}


def test_console_counts_logins_and_is_503_when_its_database_is_gone(console_db: Tuple[str, Dict[str, str]]) -> None:
    url, names = console_db
    assert health(url + "/health")[:2] == (200, {"status": "ok", "database": "up"})
    assert httpx.get(url + "/metrics").status_code == 404  # only on the internal port
    before = scrape(names["metrics"] + "/metrics")
    with httpx.Client(base_url=url, timeout=30.0) as client:
        assert client.post("/console/api/login", json={"username": "city1", "password": PASSWORD}).status_code == 200
        assert client.post("/console/api/login", json={"username": "city1", "password": "wrong-password!"}).status_code == 401
        assert client.post("/console/api/login", content=b"{", headers={"content-type": "application/json"}).status_code == 400
    after = scrape(names["metrics"] + "/metrics")
    for result in ("ok", "failed", "refused"):
        assert value(after, "console_logins_total", result=result) - value(before, "console_logins_total", result=result) == 1

    admin = create_engine(ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{names["database"]}" WITH (FORCE)'))
    finally:
        admin.dispose()
    status, body, took = health(url + "/health")
    assert (status, body) == (503, {"status": "unavailable", "database": "down"}) and took < FAST_HEALTH
    assert httpx.get(url + "/health/live").status_code == 200


# ---------------------------------------------------------------- push worker


def test_push_worker_counts_deliveries_and_reports_its_queues(redis_prefix: str, tmp_path: Path) -> None:
    with postgres_database("obs_push") as url, TelegramStandIn(PUSH_TOKEN) as telegram:
        bureau = Bureau(url)
        try:
            sent, blocked = chats(3), chats(1)
            telegram.block(blocked[0])
            bureau.subscribe([f"tg:{c}" for c in sent + blocked])
            port = free_port()
            env = worker_env(bureau, redis_prefix, telegram, PUSH_METRICS_PORT=str(port))
            with running_service("push", port, tmp_path, env):
                metrics = f"http://127.0.0.1:{port}"
                assert health(metrics + "/health")[:2] == (200, {"status": "ok", "database": "up", "redis": "up"})
                broadcast = bureau.broadcast()
                bureau.wait_status(broadcast, "done")
                samples = scrape(metrics + "/metrics")
        finally:
            bureau.close()
    assert value(samples, "push_deliveries_total", channel="tg", status="sent") == 3
    assert value(samples, "push_deliveries_total", channel="tg", status="blocked") == 1
    assert {value(samples, "push_queue_depth", queue=q) for q in ("tg", "wx", "other")} == {0}
    assert ("push_queue_depth", (("queue", "tg"),)) in samples
    assert value(samples, "push_broadcasts_running") == 0


def test_push_worker_health_is_503_while_redis_is_down(tmp_path: Path) -> None:
    with postgres_database("obs_push_down") as url:
        bureau = Bureau(url)
        try:
            port = free_port()
            env = worker_env(bureau, "obs-down:", None, PUSH_METRICS_PORT=str(port),
                             REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
            with running_service("push", port, tmp_path, env):
                status, body, took = health(f"http://127.0.0.1:{port}/health")
                parse(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10.0).text)
        finally:
            bureau.close()
    assert (status, body) == (503, {"status": "unavailable", "database": "up", "redis": "down"}) and took < FAST_HEALTH
