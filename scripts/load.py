"""Load tool (not a test): many graduates at once through the WeChat and Telegram stand-ins, on the
production topology of 1 or 2 replicas (devstack.cluster), reporting latency, throughput, errors, and
CPU and memory per process. Figures and how they were taken: docs/load.md.

    python -m scripts.load --replicas 1|2 --graduates N[,N…] --duration S --mix kb|mixed [--soak]

- The topology: `running_cluster` (action server, Rasa, gateway, push worker × replicas) on
  Redis db 11 of the local server (checked empty first, flushed afterwards) and a throwaway
  PostgreSQL database; WeChat in safe mode (AES, as the bureau would run it) against the WeChat
  API stand-in, Telegram in webhook mode against the Telegram Bot API stand-in.
- Graduates: each seat plays one graduate after another (a session: a few questions, a whole
  registration or a subscription, under a fresh identity: scripts/load_script.py). WeChat pushes
  are signed and encrypted as WeChat's servers send them; Telegram updates are POSTed to the
  webhook with the secret header, as Telegram does; both go to the gateways in turn (a
  round-robin balancer). A graduate waits for the answer before the next turn: the passive reply
  (or, after `success`, the customer-service message at the stand-in) on WeChat, the
  sendMessage(s) at the stand-in on Telegram.
- `--mix kb`: knowledge-base questions only; `--mix mixed`: also registrations (unique fake names
  and phone numbers; every confirmed reference is looked up in the ledger afterwards) and
  subscriptions.
- Several `--graduates` levels run one after another on the same cluster (a sweep); each level
  has a warm-up that is not counted, then `--duration` seconds measured.
- `--soak`: one level (default 16 graduates, 1 s think time) for 10 minutes after a 2-minute
  warm-up, memory sampled every 30 s, the slope per process reported.

Results: `<out>.json` and `<out>.md` (default var/load/<date>-r<replicas>-<mix>), logs of every
process beside them.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import re
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import httpx
import redis

from db.crypto import new_key
from devstack.cluster import Cluster, ClusterError, Ports, running_cluster
from devstack.stack import ROOT, StackError
from ledger.config import LedgerSettings
from ledger.store import Ledger
from scripts.load_channels import Answer, Inboxes, QuietTelegram, QuietWeChatAPI, TelegramSide, WeChatSide, attach
from scripts.load_report import Step, Turn, environment, soak_figures, write
from scripts.load_script import (KB_QUESTIONS, REF, SUBSCRIPTION_FOLLOW_UPS, SUBSCRIPTIONS, Identities, next_answer,
                                 registration_answers)
from scripts.load_watch import Watch, redis_pid
from tests.databases import postgres_database
from tests.standins.wechat import WeChatPushes

MODEL = ROOT / "models" / "current.tar.gz"
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/11")
WX_TOKEN, WX_APP_ID, WX_APP_SECRET = "loadToken42", "wx4f2a7c9e1b3d5a60", secrets.token_hex(16)
WX_AES_KEY = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(43))
TG_TOKEN = f"{secrets.randbelow(10**9) + 10**8}:{secrets.token_urlsafe(30)}"
TG_SECRET = secrets.token_urlsafe(24)
SESSIONS = {"kb": {"kb": 1.0}, "mixed": {"kb": 0.6, "registration": 0.2, "subscription": 0.2}}
SOAK_SECONDS, SOAK_WARM_UP = 600.0, 120.0


@dataclass
class Options:
    replicas: int
    graduates: List[int]
    duration: float
    mix: str
    soak: bool
    warm_up: float
    think: float
    telegram_share: float
    safe_mode: bool
    sample: float
    out: Path
    seed: Optional[int]

    def public(self) -> Dict[str, Any]:
        return {"replicas": self.replicas, "graduates": self.graduates, "duration": self.duration, "mix": self.mix,
                "soak": self.soak, "warm_up": self.warm_up, "think": self.think, "telegram_share": self.telegram_share,
                "safe_mode": self.safe_mode, "sample": self.sample}


@dataclass
class Crowd:
    """The graduates of one level and what they did."""

    wechat: WeChatSide
    telegram: TelegramSide
    who: Identities
    options: Options
    turns: List[Turn] = field(default_factory=list)
    confirmed: List[Tuple[str, str]] = field(default_factory=list)  # (identity, reference)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def seat(self, number: int) -> None:
        """One seat: graduate after graduate until the level ends."""
        on_telegram = int((number + 1) * self.options.telegram_share) > int(number * self.options.telegram_share)
        weights = SESSIONS[self.options.mix]
        while not self.stop.is_set():
            kind = self.who.random.choices(list(weights), list(weights.values()))[0]
            user: Any = self.who.chat_id() if on_telegram else self.who.openid()
            await getattr(self, kind)(user, on_telegram)
            self.wechat.inboxes.forget(user)  # the graduate has left

    async def kb(self, user: Any, on_telegram: bool) -> None:
        for _ in range(self.who.random.randint(6, 12)):
            if not await self.say(user, on_telegram, self.who.random.choice(KB_QUESTIONS), "kb"):
                return

    async def registration(self, user: Any, on_telegram: bool) -> None:
        script = registration_answers(self.who)
        said = await self.say(user, on_telegram, "我要登记", "registration", whole=True)
        for _ in range(40):
            if said is None:
                return
            ref = REF.search(said)
            if ref:
                self.confirmed.append((f"{'tg' if on_telegram else 'wx'}:{user}", ref.group(0)))
                return
            said = await self.say(user, on_telegram, next_answer(script, said), "registration", whole=True)

    async def subscription(self, user: Any, on_telegram: bool) -> None:
        steps = [(self.who.random.choice(SUBSCRIPTIONS), "subscription"), (self.who.random.choice(KB_QUESTIONS), "kb"),
                 (SUBSCRIPTION_FOLLOW_UPS[0], "subscription"), (self.who.random.choice(KB_QUESTIONS), "kb")]
        if self.who.random.random() < 0.5:
            steps.append((SUBSCRIPTION_FOLLOW_UPS[1], "subscription"))
        for text, kind in steps:
            if await self.say(user, on_telegram, text, kind) is None:
                return

    async def say(self, user: Any, on_telegram: bool, text: str, kind: str, whole: bool = False) -> Optional[str]:
        """One turn; what the assistant said, or None when the level has ended."""
        if self.stop.is_set():
            return None
        started = time.monotonic()
        answer: Answer = (await self.telegram.turn(user, text) if on_telegram
                          else await self.wechat.turn(user, text, want_tail=whole))
        self.turns.append(Turn(started, answer.latency, answer.outcome, "tg" if on_telegram else "wx", kind))
        if answer.outcome.startswith("error"):
            await asyncio.sleep(1.0)  # as a person would before trying again
        elif self.options.think:
            await asyncio.sleep(self.who.random.uniform(0.5, 1.5) * self.options.think)
        return answer.text


# ---------------------------------------------------------------- one run


async def drive(cluster: Cluster, wechat: QuietWeChatAPI, telegram: QuietTelegram, watch: Watch,
                options: Options) -> Tuple[List[Step], List[Tuple[str, str]]]:
    inboxes = Inboxes(asyncio.get_running_loop())
    detach = attach([wechat, telegram], inboxes)
    limits = httpx.Limits(max_connections=max(options.graduates) * 2 + 20, max_keepalive_connections=max(options.graduates) + 10)
    who = Identities(options.seed)
    pushes = WeChatPushes(WX_TOKEN, WX_APP_ID, WX_AES_KEY if options.safe_mode else None)
    sampler = asyncio.ensure_future(_sample(watch, options.sample))
    steps, confirmed = [], []
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=3.0), limits=limits) as http:
            for graduates in options.graduates:
                crowd = Crowd(WeChatSide(http, pushes, cluster.gateway_urls, inboxes),
                              TelegramSide(http, telegram, TG_SECRET, cluster.gateway_urls, inboxes), who, options)
                steps.append(await level(crowd, graduates, cluster, watch, http, options))
                confirmed += crowd.confirmed
                _progress(steps[-1])
    finally:
        sampler.cancel()
        detach()
    return steps, confirmed


async def level(crowd: Crowd, graduates: int, cluster: Cluster, watch: Watch, http: httpx.AsyncClient,
                options: Options) -> Step:
    seats = [asyncio.ensure_future(crowd.seat(n)) for n in range(graduates)]
    await asyncio.sleep(options.warm_up)
    first_sample = len(watch.samples)
    watch.sample()
    cpu_start, answers_start = watch.cpu(), await action_counts(cluster, http)
    await asyncio.sleep(options.duration)
    cpu_end, answers_end = watch.cpu(), await action_counts(cluster, http)
    watch.sample()
    crowd.stop.set()
    _, stuck = await asyncio.wait(seats, timeout=60.0)  # turns in flight finish (an answer is awaited ≤ 30 s)
    for seat in stuck:
        seat.cancel()
    start, end = cpu_start.at, cpu_end.at
    turns = [t for t in crowd.turns if start <= t.at < end]
    fallback = {k: answers_end[k] - answers_start[k] for k in answers_end} if answers_end and answers_start else {}
    step = Step(graduates, end - start, turns, cpu_start, cpu_end, watch.samples[first_sample:], fallback)
    step.registrations = {"confirmed": len(crowd.confirmed)} if options.mix == "mixed" else {}
    return step


async def action_counts(cluster: Cluster, http: httpx.AsyncClient) -> Dict[str, float]:
    """Answers and fallback answers so far, summed over the action servers' /metrics (form
    validators are not answers)."""
    answers = fallbacks = 0.0
    for service in cluster.actions:
        base = (service.ready_url or "").rsplit("/health", 1)[0]
        try:
            text = (await http.get(f"{base}/metrics")).text
        except httpx.HTTPError:
            return {}
        for line in text.splitlines():
            value = float(line.rsplit(" ", 1)[1]) if line and not line.startswith("#") else 0.0
            if line.startswith("actions_answers_total{") and 'action="validate_' not in line:
                answers += value
            elif line.startswith("actions_fallback_answers_total{"):
                fallbacks += value
    return {"answers": answers, "fallbacks": fallbacks}


async def _sample(watch: Watch, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        watch.sample()


def _progress(step: Step) -> None:
    s = step.summary()
    print(f"{s['graduates']:>3} graduates: {s['turns']} turns, {s['turns_per_s']} turns/s, p50 {s['latency_ms']['p50']:.0f} ms, "
          f"p99 {s['latency_ms']['p99']:.0f} ms, max {s['latency_ms']['max']:.0f} ms, errors {s['errors']}, "
          f"> 5 s {s['over_5s']}, load {os.getloadavg()[0]:.1f}", flush=True)


# ---------------------------------------------------------------- the topology around it


def run(options: Options) -> Dict[str, Any]:
    store = redis.Redis.from_url(REDIS_URL)
    if store.dbsize():
        raise SystemExit(f"{REDIS_URL} is not empty (another load run?); set LOAD_REDIS_URL to an empty database")
    keys = LedgerSettings(database_url="", keys=[new_key()], hash_key=os.urandom(32))
    logs = options.out.parent / f"{options.out.name}-logs"
    try:
        with postgres_database("load") as database_url, QuietWeChatAPI(WX_APP_ID, WX_APP_SECRET) as wechat, \
                QuietTelegram(TG_TOKEN) as telegram:
            ports = Ports.free()
            env = cluster_env(database_url, keys, wechat.url, telegram.api_base_url, ports, options.safe_mode)
            started = time.monotonic()
            with running_cluster(MODEL, REDIS_URL, env, options.replicas, ports=ports, log_dir=logs) as cluster:
                print(f"cluster up in {time.monotonic() - started:.0f} s\n{cluster.describe()}", flush=True)
                pids = {s.name: s.pid for s in cluster.services()}
                pids["load-tool"] = os.getpid()
                server = redis_pid(REDIS_URL)
                if server:
                    pids["redis-server"] = server
                watch = Watch(pids)
                watch.sample()
                steps, confirmed = asyncio.run(drive(cluster, wechat, telegram, watch, options))
            found = saved(database_url, keys, confirmed)
    finally:
        store.flushdb()
        store.close()
    return result(options, steps, confirmed, found, watch)


def cluster_env(database_url: str, keys: LedgerSettings, wechat_url: str, telegram_url: str, ports: Ports,
                safe_mode: bool) -> Dict[str, str]:
    env = {"DATABASE_URL": database_url, "LEDGER_KEYS": b",".join(keys.keys).decode(),
           "LEDGER_HASH_KEY": base64.urlsafe_b64encode(keys.hash_key).decode(), "PUSH_IN_GATEWAY": "off",
           "WEB_CHAT": "off", "WECHAT_TOKEN": WX_TOKEN, "WECHAT_APP_ID": WX_APP_ID, "WECHAT_APP_SECRET": WX_APP_SECRET,
           "WECHAT_API_BASE_URL": wechat_url, "TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": telegram_url,
           "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
           "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{ports.gateway}/telegram/webhook"}
    if safe_mode:
        env["WECHAT_AES_KEY"] = WX_AES_KEY
    return env


def saved(database_url: str, keys: LedgerSettings, confirmed: List[Tuple[str, str]]) -> int:
    """How many confirmed registrations the ledger holds under the reference the graduate saw."""
    if not confirmed:
        return 0
    ledger = Ledger.open(LedgerSettings(database_url=database_url, keys=keys.keys, hash_key=keys.hash_key))
    try:
        return sum(1 for identity, ref in confirmed if (found := ledger.find(identity)) is not None and found.ref == ref)
    finally:
        ledger.close()


def result(options: Options, steps: List[Step], confirmed: List[Tuple[str, str]], found: int,
           watch: Watch) -> Dict[str, Any]:
    summaries = [s.summary() for s in steps]
    if options.mix == "mixed" and summaries:
        summaries[-1]["registrations"] = {"confirmed_in_run": len(confirmed), "found_in_ledger": found}
    out: Dict[str, Any] = {"environment": environment(), "arguments": options.public(), "steps": summaries}
    if options.soak and steps:
        out["soak"] = soak_figures(steps[-1].memory, 0.0)
        out["memory_samples"] = [{"t": round(s.at - steps[-1].memory[0].at), "rss_mb": {k: round(v, 1) for k, v in s.rss_mb.items()},
                                  "load": s.load} for s in steps[-1].memory]
    return out


# ---------------------------------------------------------------- the command


def parse(argv: Optional[List[str]]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m scripts.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, choices=(1, 2), default=2)
    parser.add_argument("--graduates", default=None, help="graduates at once; a comma-separated list runs a sweep")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured per level")
    parser.add_argument("--mix", choices=sorted(SESSIONS), default="kb")
    parser.add_argument("--soak", action="store_true", help="10 minutes at a steady moderate load, memory every 30 s")
    parser.add_argument("--warm-up", type=float, default=None, help="seconds per level before measuring (default 15)")
    parser.add_argument("--think", type=float, default=None, help="mean pause between a graduate's turns (default 0; soak 1)")
    parser.add_argument("--telegram-share", type=float, default=0.25, help="share of the graduates on Telegram")
    parser.add_argument("--plaintext", action="store_true", help="WeChat plaintext mode instead of safe mode")
    parser.add_argument("--sample", type=float, default=None, help="seconds between memory samples (default 5; soak 30)")
    parser.add_argument("--out", type=Path, default=None, help="result path without suffix")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    graduates = [int(n) for n in re.split(r"[,\s]+", args.graduates.strip())] if args.graduates else [16 if args.soak else 24]
    if any(n < 1 for n in graduates) or (args.soak and len(graduates) != 1):
        parser.error("--graduates: positive numbers; a soak runs one level")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or ROOT / "var" / "load" / f"{stamp}-r{args.replicas}-{args.mix}{'-soak' if args.soak else ''}"
    return Options(args.replicas, graduates, SOAK_SECONDS if args.soak else args.duration, args.mix, args.soak,
                   args.warm_up if args.warm_up is not None else (SOAK_WARM_UP if args.soak else 15.0),
                   args.think if args.think is not None else (1.0 if args.soak else 0.0), args.telegram_share,
                   not args.plaintext, args.sample or (30.0 if args.soak else 5.0), out, args.seed)


def main(argv: Optional[List[str]] = None) -> int:
    options = parse(argv)
    random.seed(options.seed)
    print(f"load: {options.replicas} replica(s), mix {options.mix}, graduates {options.graduates}, "
          f"{options.duration:.0f} s each; starting the cluster (about a minute)…", flush=True)
    try:
        outcome = run(options)
    except (ClusterError, StackError) as error:
        print(f"could not start: {error}", file=sys.stderr)
        return 1
    markdown = write(options.out, outcome)
    print(markdown.read_text(encoding="utf-8"))
    print(f"written: {markdown} and {markdown.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
