"""The multi-replica topology (devstack.cluster: 2 action servers, 2 Rasa servers, 2 gateways, 2 push
workers), started once for the session, on a Redis and a PostgreSQL server of the tests' own
(redis-server and initdb/pg_ctl on free ports, so the tests may restart them; never the machine's
shared ones), with the WeChat API and Telegram Bot API stand-ins in front. Where those binaries
are missing the cluster runs on the shared servers (Redis db 13, flushed afterwards; a throwaway
database) and the restart tests are skipped.

`Load` plays graduates talking through the gateways while a test breaks something."""
from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import httpx
import pytest
import redis

from bot.channels.wechat.channel import SEND_AGAIN
from devstack.cluster import Cluster, Ports, running_cluster
from bot.gateway.assistant import SORRY
from ledger.store import Ledger
from tests.conftest import free_port
from tests.databases import PrivatePostgres, postgres_database, private_postgres_missing
from tests.push.conftest import FAST_ENV, Bureau
from tests.standins.telegram import TelegramStandIn
from tests.standins.wechat import WeChatAPIStandIn, WeChatPushes

WX_TOKEN, WX_APP_ID, WX_APP_SECRET = "clusterToken7", "wx7d1e3c5a9b2f4e60", secrets.token_hex(16)
TG_TOKEN = f"{secrets.randbelow(10**9) + 10**8}:{secrets.token_urlsafe(30)}"
TG_SECRET = secrets.token_urlsafe(24)
SHARED_REDIS = os.environ.get("TEST_REDIS_URL_CLUSTER", "redis://127.0.0.1:6379/13")
DEADLINE = 5.0  # WeChat's
WECHAT_ATTEMPTS = 3  # WeChat sends a push it got no reply to again, the same MsgId, 3 attempts in all
RESEND_AFTER = 5.0  # seconds from one attempt to the next
TELEGRAM_PATIENCE = 20.0  # a Telegram answer later than this counts as none


# ---------------------------------------------------------------- Redis and PostgreSQL of our own


class PrivateRedis:
    """redis-server on a free loopback port, keeping nothing on disk (as in production)."""

    def __init__(self, work: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = work / "redis.log"
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        _wait(lambda: _redis_up(self.url), 10, "the private Redis")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


def private_servers_missing() -> Optional[str]:
    missing = [problem for problem in (private_postgres_missing(),
                                       "redis-server not installed" if shutil.which("redis-server") is None else None) if problem]
    return "; ".join(missing) if missing else None


@dataclass
class Servers:
    redis_url: str
    database_url: str
    redis: Optional[PrivateRedis] = None
    postgres: Optional[PrivatePostgres] = None


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    if private_servers_missing():
        with postgres_database("cluster") as url:
            yield Servers(SHARED_REDIS, url)
        redis.Redis.from_url(SHARED_REDIS).flushdb()
        return
    own_redis, own_pg = PrivateRedis(tmp_path_factory.mktemp("redis")), PrivatePostgres()
    try:
        own_redis.start()
        own_pg.init()
        own_pg.start()
        yield Servers(own_redis.url, own_pg.create_database("cluster"), own_redis, own_pg)
    finally:
        own_redis.stop()
        own_pg.remove()


# ---------------------------------------------------------------- the cluster


@dataclass
class Topology:
    cluster: Cluster
    servers: Servers
    bureau: Bureau
    wechat: WeChatAPIStandIn
    telegram: TelegramStandIn
    pushes: WeChatPushes

    def ledger(self) -> Ledger:
        return self.bureau.ledger


@pytest.fixture(scope="session")
def topology(model: Path, servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    bureau = Bureau(servers.database_url)
    ports = Ports.free()
    logs = tmp_path_factory.mktemp("cluster-logs")
    with WeChatAPIStandIn(WX_APP_ID, WX_APP_SECRET) as wechat, TelegramStandIn(TG_TOKEN) as telegram:
        env = {**bureau.env(), **FAST_ENV, "PUSH_IN_GATEWAY": "off", "WEB_CHAT": "on",
               "WECHAT_TOKEN": WX_TOKEN, "WECHAT_APP_ID": WX_APP_ID, "WECHAT_APP_SECRET": WX_APP_SECRET,
               "WECHAT_API_BASE_URL": wechat.url, "TELEGRAM_BOT_TOKEN": TG_TOKEN,
               "TELEGRAM_API_BASE_URL": telegram.api_base_url, "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
               "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{ports.gateway}/telegram/webhook"}
        started = time.monotonic()
        with running_cluster(model, servers.redis_url, env, replicas=2, ports=ports, log_dir=logs) as cluster:
            print(f"\ncluster up in {time.monotonic() - started:.0f} s\n{cluster.describe()}")
            yield Topology(cluster, servers, bureau, wechat, telegram, WeChatPushes(WX_TOKEN, WX_APP_ID))
    bureau.close()


def restart(topology: Topology, name: str, timeout: float = 240.0) -> float:
    """Start a killed process again; returns how long it took to be ready."""
    started = time.monotonic()
    topology.cluster.service(name).start(timeout)
    return time.monotonic() - started


# ---------------------------------------------------------------- graduates under load


QUESTIONS = ["见习补贴怎么申请", "社保补贴有哪些条件", "海淀区在哪里办理就业登记", "最近有什么招聘会", "一次性扩岗补助是什么",
             "我22岁失业能参加见习吗", "去哪里找工作"]
REF = re.compile(r"QZ-[0-9A-Z]{4}-[0-9A-Z]{4}")


@dataclass
class Turn:
    who: str
    at: float          # when it was sent (monotonic)
    took: float        # until the answer (or the error) came back; WeChat: to the last attempt
    outcome: str       # answer | sorry | late (WeChat `success`, the answer follows) | dropped | error:<what>
    text: str = ""
    player: str = field(default_factory=lambda: threading.current_thread().name)  # the graduate playing
    resent: float = 0.0  # WeChat: seconds from the first attempt to the last (0: answered at once)

    @property
    def ended(self) -> float:
        return self.at + self.resent + self.took


def answers_for(phone: str) -> List[Tuple[str, str]]:
    """The registration dialogue as (what the assistant asks, what the graduate answers); the
    graduate answers whatever it is asked, so a lost or repeated turn does not derail it."""
    return [("登记成功", ""), ("请核对你的登记信息", "确认提交"), ("回到登记，请核对", "确认提交"), ("接着填，还是重新开始", "继续"),
            ("你同意吗", "同意"), ("需要你先同意", "同意"), ("你的姓名", "王芳"), ("手机号是多少", phone), ("身份证号", "跳过"),
            ("哪所学校", "北京工业大学"), ("所学专业", "会计学"), ("你的学历", "本科"), ("哪一年毕业", "2022"),
            ("年龄或出生年份", "23"), ("北京哪个区", "海淀"), ("就业状态", "未就业"), ("什么样的工作", "行政文员"),
            ("哪些区工作", "不限"), ("哪些就业服务", "1 2"), ("困难家庭", "不属于")]


class Load:
    """Graduates talking at once through the gateways until `stop()`: WeChat askers, a WeChat
    graduate registering over and over (new identity each time), a Telegram asker. Each WeChat
    turn is one push with WeChat's 5-s patience; a gateway that refuses the connection is passed
    over as a load balancer would."""

    def __init__(self, topology: Topology, wechat_askers: int = 3, telegram_askers: int = 1, registrants: int = 1) -> None:
        self.topology = topology
        self.turns: List[Turn] = []
        self.confirmed: List[Tuple[str, str]] = []  # (identity, ref)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._wechat_asker, args=(n,), name=f"wechat-asker-{n}", daemon=True)
                         for n in range(wechat_askers)]
        self._threads += [threading.Thread(target=self._telegram_asker, args=(n,), name=f"telegram-asker-{n}", daemon=True)
                          for n in range(telegram_askers)]
        self._threads += [threading.Thread(target=self._registrant, args=(n,), name=f"registrant-{n}", daemon=True)
                          for n in range(registrants)]

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def between(self, start: float, end: float = float("inf")) -> List[Turn]:
        with self._lock:
            return [t for t in self.turns if start <= t.at < end]

    def record(self, turn: Turn) -> None:
        with self._lock:
            self.turns.append(turn)

    def wait_turns(self, count: int, since: float, timeout: float = 60.0) -> None:
        _wait(lambda: len(self.between(since)) >= count, timeout, f"{count} turns")

    def wait_each_player(self, since: float, timeout: float = 60.0) -> None:
        """Until every graduate has a finished turn that began at `since` or later, whatever its
        pace (a Telegram turn takes longer than a WeChat one), or `timeout` passes; the caller's
        assertions then say who had none."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            turns = self.between(0.0)
            if {t.player for t in turns} <= {t.player for t in turns if t.at >= since}:
                return
            time.sleep(0.1)

    # ---- WeChat
    def _wechat_asker(self, n: int) -> None:
        openid = "o" + secrets.token_hex(14)[:27]
        http = httpx.Client(timeout=DEADLINE + 0.5)
        for i in range(10**6):
            if self._stop.is_set():
                break
            self._push(http, openid, QUESTIONS[(n + i) % len(QUESTIONS)], n + i)
            time.sleep(0.3)
        http.close()

    def _registrant(self, n: int) -> None:
        http = httpx.Client(timeout=DEADLINE + 0.5)
        while not self._stop.is_set():
            openid = "o" + secrets.token_hex(14)[:27]
            phone = f"139{secrets.randbelow(10**8):08d}"
            script = answers_for(phone)
            said = self._push(http, openid, "我要登记", n)
            for i in range(40):
                if self._stop.is_set():
                    break
                if REF.search(said):
                    with self._lock:
                        self.confirmed.append((f"wx:{openid}", REF.search(said).group(0)))  # type: ignore[union-attr]
                    break
                reply = next((answer for asked, answer in script if asked in said), "继续登记")
                said = self._push(http, openid, reply, n + i)
                time.sleep(0.2)
        http.close()

    def _push(self, http: httpx.Client, openid: str, text: str, home: int) -> str:
        """One message, sent again as WeChat does when an attempt got no reply (the same MsgId, a
        new timestamp and nonce); the passive reply's text ('' when none came)."""
        xml = self.topology.pushes.text(openid, text)
        started = time.monotonic()
        for attempt in range(1, WECHAT_ATTEMPTS + 1):
            tried = time.monotonic()
            outcome, said = self._attempt(http, xml, home)
            if outcome not in ("dropped", "error:timeout") or attempt == WECHAT_ATTEMPTS or self._stop.is_set():
                break
            time.sleep(max(0.0, tried + RESEND_AFTER - time.monotonic()))
        resent = tried - started if attempt > 1 else 0.0
        self.record(Turn(f"wx:{openid}", started, time.monotonic() - tried, outcome, said, resent=resent))
        return said

    def _attempt(self, http: httpx.Client, xml: str, home: int) -> Tuple[str, str]:
        """One attempt through the gateways (a load balancer passes over one that refuses)."""
        params, body = self.topology.pushes.signed(xml)
        urls = self.topology.cluster.gateway_urls
        for url in urls[home % len(urls):] + urls[:home % len(urls)]:
            try:
                response = http.post(f"{url}/wechat", params=params, content=body, headers={"content-type": "text/xml"})
            except httpx.ConnectError:
                continue  # the load balancer's health check: try the next gateway
            except httpx.TimeoutException:
                return "error:timeout", ""
            except httpx.TransportError:
                return "dropped", ""  # the gateway died with the push in hand
            return self._read(response)
        return "error:no gateway", ""

    def _read(self, response: httpx.Response) -> Tuple[str, str]:
        if response.status_code != 200:
            return f"error:http {response.status_code}", ""
        if response.content == b"success":
            return "late", ""
        said = self.topology.pushes.open_reply(response.content).get("Content", "")
        return ("sorry" if SORRY in said or SEND_AGAIN in said else "answer"), said

    # ---- Telegram (webhook)
    def _telegram_asker(self, n: int) -> None:
        chat = 7 * 10**8 + secrets.randbelow(10**8)
        telegram = self.topology.telegram
        http = httpx.Client(timeout=DEADLINE)
        for i in range(10**6):
            if self._stop.is_set():
                break
            before = len(telegram.messages(chat))
            update = telegram.text_update(chat, QUESTIONS[(n + i + 3) % len(QUESTIONS)])
            started = time.monotonic()
            outcome = "error:no gateway"
            # like Telegram: an update without a 2xx (no connection, or it broke off) is sent again
            for url in self.topology.cluster.gateway_urls[n % 2:] + self.topology.cluster.gateway_urls[:n % 2]:
                try:
                    response = http.post(f"{url}/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
                except httpx.ConnectError:
                    continue
                except httpx.HTTPError:
                    outcome = "dropped"
                    continue
                outcome = "error:no answer" if response.status_code == 200 else f"error:webhook {response.status_code}"
                break
            said, took = "", 0.0
            deadline = started + TELEGRAM_PATIENCE
            while outcome == "error:no answer" and time.monotonic() < deadline:
                got = telegram.messages(chat)
                if len(got) > before:
                    said, took = got[before].text, time.monotonic() - started
                    outcome = "sorry" if SORRY in said or SEND_AGAIN in said else "answer"
                    break
                time.sleep(0.05)
            self.record(Turn(f"tg:{chat}", started, took or time.monotonic() - started, outcome, said))
            _settle(lambda: len(telegram.messages(chat)), 1.2, 6.0)  # a long answer comes in pieces, 1 s apart
        http.close()


# ---------------------------------------------------------------- what a test checks


def outcomes(turns: List[Turn]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for turn in turns:
        counts[turn.outcome] = counts.get(turn.outcome, 0) + 1
    return counts


def recovered_after(load: Load, since: float) -> float:
    """Seconds from `since` until every graduate's turns are answered again (the start of each
    graduate's final run of answers)."""
    last_bad: Dict[str, float] = {}
    for turn in load.between(since):
        if turn.outcome != "answer":
            last_bad[turn.player] = max(last_bad.get(turn.player, since), turn.ended)
    return max(last_bad.values(), default=since) - since


def confirmed_are_saved(topology: Topology, confirmed: List[Tuple[str, str]]) -> List[str]:
    """The confirmed registrations the database does not hold under the same reference."""
    ledger = topology.ledger()
    problems = []
    for identity, ref in confirmed:
        found = ledger.find(identity)
        if found is None or found.ref != ref:
            problems.append(f"{identity}: confirmed {ref}, database has {found.ref if found else None}")
    return problems


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.1)


def _settle(count: Callable[[], int], quiet: float, most: float) -> None:
    """Until `count` has not changed for `quiet` seconds (at most `most`)."""
    end, last, since = time.monotonic() + most, count(), time.monotonic()
    while time.monotonic() < end and time.monotonic() - since < quiet:
        time.sleep(0.1)
        if count() != last:
            last, since = count(), time.monotonic()


def _redis_up(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False
