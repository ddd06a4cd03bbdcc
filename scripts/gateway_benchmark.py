"""Gateway benchmark (not a test): WeChat round trips through the gateway at 32 concurrent
graduates, against bare Rasa REST turns in the same run. `make benchmark-gateway` writes
docs/gateway-benchmark.md.

Each graduate sends held-out questions one after another. Phases alternate (REST, WeChat, REST,
WeChat) so that drift of the machine hits both alike. WeChat pushes are safe-mode (AES) with
real signatures, as WeChat's servers send them; the WeChat API is the loopback stand-in (it only
sees customer-service sends, i.e. answers later than the passive-reply deadline).
"""
from __future__ import annotations

import argparse
import asyncio
import platform
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

import httpx

from devstack.stack import ROOT, running_gateway, running_stack
from tests.conftest import MODEL, free_port
from tests.heldout.evaluate import load_questions
from tests.standins.wechat import WeChatAPIStandIn, WeChatPushes

REPORT = ROOT / "docs" / "gateway-benchmark.md"
TOKEN, APP_ID, SECRET = "benchtoken", "wx0123456789abcdef", "benchsecret0123456789"
AES_KEY = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(43))


@dataclass
class Phase:
    kind: str
    latencies_ms: List[float] = field(default_factory=list)
    late: int = 0  # WeChat: answered `success`, the answer went through the customer-service API
    over_5s: int = 0
    seconds: float = 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def rest_graduate(http: httpx.AsyncClient, texts: List[str], phase: Phase) -> None:
    sender = f"bench-rest:{uuid.uuid4().hex[:10]}"
    for text in texts:
        started = time.perf_counter()
        response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
        response.raise_for_status()
        record(phase, started, late=False)


async def wechat_graduate(http: httpx.AsyncClient, pushes: WeChatPushes, texts: List[str], phase: Phase) -> None:
    openid = "obench" + uuid.uuid4().hex[:22]
    for text in texts:
        params, body = pushes.signed(pushes.text(openid, text), openid=openid)
        started = time.perf_counter()
        response = await http.post("/wechat", params=params, content=body, headers={"Content-Type": "text/xml"})
        response.raise_for_status()
        late = response.text.strip() in ("success", "")
        if not late:
            assert pushes.open_reply(response.content).get("Content"), "passive reply without content"
        record(phase, started, late)


def record(phase: Phase, started: float, late: bool) -> None:
    elapsed = time.perf_counter() - started
    phase.latencies_ms.append(elapsed * 1000)
    phase.late += late
    phase.over_5s += elapsed > 5.0


async def run_phase(kind: str, url: str, pushes: WeChatPushes, concurrency: int, texts: List[str], turns: int) -> Phase:
    phase = Phase(kind)
    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits) as http:
        started = time.perf_counter()
        jobs = []
        for n in range(concurrency):
            mine = [texts[(n * turns + i) % len(texts)] for i in range(turns)]
            jobs.append(rest_graduate(http, mine, phase) if kind == "rest" else wechat_graduate(http, pushes, mine, phase))
        await asyncio.gather(*jobs)
        phase.seconds = time.perf_counter() - started
    return phase


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.gateway_benchmark")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--turns", type=int, default=6, help="turns per graduate and phase")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    texts = [str(q["text"]) for q in load_questions() if not str(q["intent"]).endswith("registration") and q["intent"] != "register"]
    logs = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    with WeChatAPIStandIn(APP_ID, SECRET) as api, running_stack(MODEL, free_port(), free_port(), logs) as stack:
        env = {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": SECRET, "WECHAT_AES_KEY": AES_KEY,
               "WECHAT_API_BASE_URL": api.url, "WEB_CHAT": "off"}
        port = free_port()
        with running_gateway(stack.rasa_url, port, logs, env):
            pushes = WeChatPushes(TOKEN, APP_ID, AES_KEY)
            gateway = f"http://127.0.0.1:{port}"
            asyncio.run(run_phase("rest", stack.rasa_url, pushes, 4, texts, 3))  # warm-up
            asyncio.run(run_phase("wechat", gateway, pushes, 4, texts, 3))
            phases: List[Phase] = []
            for _ in range(args.rounds):
                phases.append(asyncio.run(run_phase("rest", stack.rasa_url, pushes, args.concurrency, texts, args.turns)))
                phases.append(asyncio.run(run_phase("wechat", gateway, pushes, args.concurrency, texts, args.turns)))
            late_delivered = len(api.messages)
    report = render(merge(phases, "rest"), merge(phases, "wechat"), args, late_delivered)
    REPORT.write_text(report, encoding="utf-8")
    print(report)
    return 0


def merge(phases: List[Phase], kind: str) -> Phase:
    merged = Phase(kind)
    for phase in (p for p in phases if p.kind == kind):
        merged.latencies_ms += phase.latencies_ms
        merged.late += phase.late
        merged.over_5s += phase.over_5s
        merged.seconds += phase.seconds
    return merged


def render(rest: Phase, wechat: Phase, args: argparse.Namespace, late_delivered: int) -> str:
    p50_ratio = statistics.median(wechat.latencies_ms) / statistics.median(rest.latencies_ms)
    p99_ratio = wechat.pct(0.99) / rest.pct(0.99)
    return f"""# Gateway benchmark

`make benchmark-gateway` ({time.strftime('%Y-%m-%d')}, {platform.machine()}, {_cores()} cores, Python {platform.python_version()}).
{args.concurrency} graduates at once, each sending {args.turns} held-out questions one after another; phases
alternate bare Rasa REST / WeChat through the gateway, {args.rounds} rounds each, in one run.
WeChat pushes are safe-mode (AES-encrypted, signed) like WeChat's servers send them.

| path | turns | p50 ms | p99 ms | turns/s | answered late (customer-service API) | replies later than 5 s |
| --- | --- | --- | --- | --- | --- | --- |
| Rasa REST, bare | {len(rest.latencies_ms)} | {statistics.median(rest.latencies_ms):.0f} | {rest.pct(0.99):.0f} | {len(rest.latencies_ms) / rest.seconds:.1f} | – | {rest.over_5s} |
| WeChat via gateway | {len(wechat.latencies_ms)} | {statistics.median(wechat.latencies_ms):.0f} | {wechat.pct(0.99):.0f} | {len(wechat.latencies_ms) / wechat.seconds:.1f} | {wechat.late} ({late_delivered} messages delivered) | {wechat.over_5s} |

Gateway overhead as a ratio to the bare REST turn: **p50 {p50_ratio:.2f}**, p99 {p99_ratio:.2f} (target ≤ 1.15).
"""


def _cores() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
