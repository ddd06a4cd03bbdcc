"""Push-worker fixtures: a ledger database (SQLite file or a PostgreSQL database of its own), real
Redis under a key prefix of the test's own (db 14; every key under it is deleted afterwards,
nothing else is touched), the Telegram and WeChat stand-ins, and helpers to make broadcasts and
to run workers in this process or as `python -m push` subprocesses."""
from __future__ import annotations

import asyncio
import base64
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import redis
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.gateway.config import TelegramSettings, WeChatSettings
from bot.gateway.stores import RedisStore, Store
from db.crypto import new_key
from db.engine import now
from db.tables import broadcasts, deliveries, subscriptions
from ledger.config import LedgerSettings
from ledger.store import Ledger
from notices.model import Notice
from notices.store import NoticeStore
from push.app import open_worker
from push.config import PushSettings, Timing
from push.worker import Worker
from tests.databases import both_databases, postgres_database
from tests.standins.telegram import TelegramStandIn
from tests.standins.wechat import WeChatAPIStandIn, _error

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
TOKEN = f"{secrets.randbelow(10**9) + 10**8}:{secrets.token_urlsafe(30)}"
APP_ID, APP_SECRET = "wx5c3a9f1e2b7d4c60", secrets.token_hex(16)
TODAY = date.today()

# fast timings: retries, take-overs and the reconciler within a second or two
FAST = Timing(concurrency=16, max_attempts=3, backoff=0.2, http_timeout=2.0, sending_timeout=4.0, claim_idle=2.0,
              scheduler_interval=0.2, reconcile_interval=0.5, reconcile_grace=1.0, fan_out_lease=30.0)
FAST_ENV = {"PUSH_CONCURRENCY": "16", "PUSH_MAX_ATTEMPTS": "3", "PUSH_BACKOFF_SECONDS": "0.2", "PUSH_HTTP_TIMEOUT": "2",
            "PUSH_SENDING_TIMEOUT": "4", "PUSH_CLAIM_IDLE": "2", "PUSH_SCHEDULER_INTERVAL": "0.2",
            "PUSH_RECONCILE_INTERVAL": "0.5", "PUSH_RECONCILE_GRACE": "1"}


# ---------------------------------------------------------------- databases and Redis


database_url = both_databases("push")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """PostgreSQL only: for tests with several worker processes."""
    with postgres_database("push") as url:
        yield url


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"test-push-{secrets.token_hex(4)}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for key in client.scan_iter(match=prefix + "*", count=1000):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture
def telegram() -> Iterator[TelegramStandIn]:
    with TelegramStandIn(TOKEN) as standin:
        yield standin


class WeChatWithTemplates(WeChatAPIStandIn):
    """The WeChat API stand-in plus template messages and the 48 h window of customer-service
    messages (45015 for a user who has not written: tell it with `wrote`)."""

    def __init__(self, app_id: str, app_secret: str) -> None:
        super().__init__(app_id, app_secret)
        self.templates: List[Dict[str, Any]] = []
        self.window: set = set()
        self._server.config.app.router.routes.append(Route("/cgi-bin/message/template/send", self._template, methods=["POST"]))

    def wrote(self, openid: str) -> None:
        self.window.add(openid)

    async def _send(self, request: Request) -> JSONResponse:
        import json

        body = json.loads(await request.body() or b"{}")
        if body.get("touser") not in self.window:
            return _error(45015, "response out of time limit or subscription is canceled")
        return await super()._send(request)

    async def _template(self, request: Request) -> JSONResponse:
        import json

        body = await request.body()
        with self._lock:
            problem = self._check(request.query_params.get("access_token", ""), body)
            if problem is not None:
                return problem
            message = json.loads(body)
            if not message.get("touser") or not message.get("template_id") or not isinstance(message.get("data"), dict):
                return _error(47001, "data format error")
            self.templates.append(message)
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": len(self.templates)})


@pytest.fixture
def wechat() -> Iterator[WeChatWithTemplates]:
    with WeChatWithTemplates(APP_ID, APP_SECRET) as standin:
        yield standin


# ---------------------------------------------------------------- broadcasts


def fair(district: Optional[str] = "海淀区", **changes: Any) -> Notice:
    base: Dict[str, Any] = dict(
        kind="fair", title="海淀区高校毕业生专场招聘会", body="百家企业，千个岗位，现场投递简历。", valid_from=TODAY,
        valid_until=TODAY + timedelta(days=10), created_by="staff1", district=district,
        event_date=TODAY + timedelta(days=3), event_time="9:00-12:00", place="海淀区某会展中心（示例）",
        online_link="https://example.org/fair", organiser="海淀区人力资源公共服务中心（示例）")
    base.update(changes)
    return Notice(**base)


class Bureau:
    """The bureau's side of a test: its ledger database, notices and broadcasts."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.settings = LedgerSettings(database_url=url, keys=[new_key()], hash_key=os.urandom(32))
        self.ledger = Ledger.open(self.settings)
        self.notices = NoticeStore(self.ledger.engine)

    def env(self) -> Dict[str, str]:
        return {"DATABASE_URL": self.url, "LEDGER_KEYS": b",".join(self.settings.keys).decode(),
                "LEDGER_HASH_KEY": base64.urlsafe_b64encode(self.settings.hash_key).decode()}

    def subscribe(self, identities: List[str], kind: str = "fair") -> None:
        stamp = now()
        rows = [{"identity": i, "channel": i.split(":", 1)[0], "kind": kind, "created_at": stamp, "updated_at": stamp}
                for i in identities]
        with self.ledger.engine.begin() as conn:
            conn.execute(subscriptions.insert(), rows)

    def broadcast(self, notice: Optional[Notice] = None, scheduled_at: Optional[datetime] = None) -> int:
        notice_id = self.notices.create(notice or fair())
        self.notices.publish(notice_id)
        return self.notices.create_broadcast(notice_id, "staff1", scheduled_at=scheduled_at)

    def status(self, broadcast_id: int) -> str:
        with self.ledger.engine.begin() as conn:
            return str(conn.execute(select(broadcasts.c.status).where(broadcasts.c.id == broadcast_id)).scalar())

    def deliveries(self, broadcast_id: int) -> Dict[str, Tuple[str, int, Optional[str]]]:
        """identity → (status, attempts, last_error)."""
        query = select(deliveries.c.identity, deliveries.c.status, deliveries.c.attempts, deliveries.c.last_error).where(
            deliveries.c.broadcast_id == broadcast_id)
        with self.ledger.engine.begin() as conn:
            return {r.identity: (r.status, r.attempts, r.last_error) for r in conn.execute(query)}

    def counts(self, broadcast_id: int) -> Dict[str, int]:
        out: Dict[str, int] = {}
        for status, _, _ in self.deliveries(broadcast_id).values():
            out[status] = out.get(status, 0) + 1
        return out

    def wait_status(self, broadcast_id: int, status: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.status(broadcast_id) != status:
            if time.monotonic() > deadline:
                raise AssertionError(f"broadcast {broadcast_id} is {self.status(broadcast_id)!r} after {timeout:.0f} s, "
                                     f"not {status!r}; deliveries: {self.counts(broadcast_id)}")
            time.sleep(0.1)

    def close(self) -> None:
        self.ledger.close()


@pytest.fixture
def bureau(database_url: str) -> Iterator[Bureau]:
    opened = Bureau(database_url)
    yield opened
    opened.close()


@pytest.fixture
def pg_bureau(pg_url: str) -> Iterator[Bureau]:
    opened = Bureau(pg_url)
    yield opened
    opened.close()


def chats(count: int) -> List[int]:
    first = secrets.randbelow(10**8) + 10**8
    return list(range(first, first + count))


# ---------------------------------------------------------------- workers


def push_settings(bureau: Bureau, prefix: Optional[str] = None, telegram: Optional[TelegramStandIn] = None,
                  wechat: Optional[WeChatAPIStandIn] = None, timing: Timing = FAST, **extra: Any) -> PushSettings:
    return PushSettings(
        ledger=bureau.settings,
        redis_url=REDIS_URL if prefix else None,
        telegram=TelegramSettings(TOKEN, telegram.api_base_url) if telegram else None,
        wechat=WeChatSettings("pushtoken", APP_ID, APP_SECRET, None, wechat.url) if wechat else None,
        key_prefix=prefix or "push:", store_prefix=f"{prefix}gw:" if prefix else "gw:", timing=timing, **extra)


def gateway_store(prefix: str) -> Store:
    """The gateway's Store as the worker under `prefix` sees it."""
    return RedisStore(REDIS_URL, f"{prefix}gw:")


class Running:
    """A worker running in a thread of this process (its own event loop)."""

    def __init__(self, settings: PushSettings, store: Optional[Store] = None) -> None:
        self.settings = settings
        self.store = store
        self.worker: Optional[Worker] = None
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.error: Optional[BaseException] = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="push-worker", daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            async with open_worker(self.settings, self.store) as worker:
                self.worker, self.loop = worker, asyncio.get_running_loop()
                self._ready.set()
                await worker.run()

        try:
            asyncio.run(main())
        except BaseException as error:  # reported by stop()
            self.error = error
        finally:
            self._ready.set()

    def __enter__(self) -> "Running":
        self._thread.start()
        assert self._ready.wait(30), "the worker did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.loop is not None and self.worker is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.worker.stop)
        self._thread.join(30)
        assert not self._thread.is_alive(), "the worker did not stop"
        if self.error is not None:
            raise self.error


def worker_env(bureau: Bureau, prefix: str, telegram: Optional[TelegramStandIn] = None, **extra: str) -> Dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **bureau.env(), **FAST_ENV, "REDIS_URL": REDIS_URL,
           "PUSH_KEY_PREFIX": prefix, "PUSH_STORE_PREFIX": f"{prefix}gw:", "WECHAT_TOKEN": "",
           "TELEGRAM_BOT_TOKEN": TOKEN if telegram else "", "TELEGRAM_API_BASE_URL": telegram.api_base_url if telegram else ""}
    env.update(extra)
    return env


@dataclass
class Process:
    popen: subprocess.Popen
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def terminate(self, timeout: float = 20.0) -> str:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            self.popen.wait(timeout)
        return self.text()

    def kill(self) -> None:
        self.popen.kill()
        self.popen.wait(10)


@contextmanager
def worker_processes(count: int, env: Dict[str, str], log_dir: Path) -> Iterator[List[Process]]:
    processes: List[Process] = []
    try:
        for n in range(count):
            log = log_dir / f"push-worker-{n}-{secrets.token_hex(2)}.log"
            handle = open(log, "wb")
            popen = subprocess.Popen([sys.executable, "-m", "push"], cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
            handle.close()
            processes.append(Process(popen, log))
        deadline = time.monotonic() + 30
        for process in processes:
            while "running" not in process.text():
                assert process.popen.poll() is None, f"worker exited: {process.text()}"
                assert time.monotonic() < deadline, f"worker did not start: {process.text()}"
                time.sleep(0.05)
        yield processes
    finally:
        for process in processes:
            if process.popen.poll() is None:
                process.kill()


# ---------------------------------------------------------------- what Telegram saw


def flood_violations(telegram: TelegramStandIn, rate: int = 30, window: float = 1.0, gap: float = 1.0) -> List[str]:
    """Every breach of Telegram's limits in the stand-in's own timestamps (all sendMessage calls,
    refused ones too): more than `rate` in any `window`, two to one chat within `gap`."""
    calls = sorted(telegram.calls_of("sendMessage"), key=lambda c: c.at)
    times = [c.at for c in calls]
    problems = [f"{rate + 1} calls within {times[i + rate] - times[i]:.3f} s" for i in range(len(times) - rate)
                if times[i + rate] - times[i] < window]
    last: Dict[Any, float] = {}
    for call in calls:
        chat = call.params.get("chat_id")
        if chat in last and call.at - last[chat] < gap:
            problems.append(f"chat {chat}: two messages {call.at - last[chat]:.3f} s apart")
        last[chat] = call.at
    return problems


def received(telegram: TelegramStandIn) -> Dict[int, int]:
    """chat → how many messages it received."""
    out: Dict[int, int] = {}
    for sent in list(telegram.sent):
        out[sent.chat_id] = out.get(sent.chat_id, 0) + 1
    return out


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.05)
