"""Benchmark (not a test): cold start, training time, REST turn latency and throughput at 1 and 16
concurrent conversations, and resident memory. `make benchmark` writes docs/benchmark.md.

Turns are the held-out graduate questions, so the mix is realistic; every conversation sends its
turns one after another, as a person would.
"""
from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import List

import httpx

from devstack.stack import ROOT, Stack, running_stack
from tests.conftest import MODEL, free_port
from tests.heldout.evaluate import load_questions

REPORT = ROOT / "docs" / "benchmark.md"


@dataclass
class LoadResult:
    concurrency: int
    turns: int
    seconds: float
    latencies_ms: List[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]

    @property
    def rate(self) -> float:
        return self.turns / self.seconds


async def conversation(client: httpx.AsyncClient, texts: List[str], latencies: List[float]) -> None:
    sender = f"bench:{uuid.uuid4().hex[:10]}"
    for text in texts:
        started = time.perf_counter()
        response = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
        response.raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)


async def load(stack: Stack, concurrency: int, turns_each: int, texts: List[str], conversations: int = 16) -> LoadResult:
    """`conversations` conversations of `turns_each` turns, at most `concurrency` at a time."""
    latencies: List[float] = []
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency + 4)

    async def one(i: int) -> None:
        async with gate:
            await conversation(client, [texts[(i * 7 + j) % len(texts)] for j in range(turns_each)], latencies)

    async with httpx.AsyncClient(base_url=stack.rasa_url, timeout=60.0, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(conversations)))
        seconds = time.perf_counter() - started
    return LoadResult(concurrency, len(latencies), seconds, latencies)


def rss_mb(pid: int) -> float:
    total = 0
    for proc in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def children(pid: int) -> List[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def training_seconds() -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).parent / "rasa"), "train", "--domain", "nlu/domain", "--data", "nlu/data",
             "nlu/generated", "--config", "config.yml", "--out", out, "--force"],
            cwd=ROOT, check=True, capture_output=True,
        )
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.benchmark", description=__doc__)
    parser.add_argument("--skip-training", action="store_true", help="do not measure training time")
    parser.add_argument("--turns", type=int, default=10, help="turns per conversation")
    args = parser.parse_args()
    texts = [str(q["text"]) for q in load_questions()]
    train_s = None if args.skip_training else training_seconds()
    started = time.perf_counter()
    with running_stack(MODEL, free_port(), free_port()) as stack:
        httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": "bench:cold", "message": "你好"}, timeout=60).raise_for_status()
        cold_s = time.perf_counter() - started
        asyncio.run(load(stack, 4, 5, texts, conversations=4))  # warm-up, not reported
        results = [asyncio.run(load(stack, c, args.turns, texts)) for c in (1, 16)]
        memory = {"Rasa server": rss_mb(stack.processes[1].pid), "action server": rss_mb(stack.processes[0].pid)}
    report = render(cold_s, train_s, results, memory)
    print(report)
    REPORT.write_text(report, encoding="utf-8")
    print(f"\nwritten to {REPORT}")
    return 0


def render(cold_s: float, train_s: float | None, results: List[LoadResult], memory: dict) -> str:
    lines = [
        "# Benchmark",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {_cores()} cores, Python {platform.python_version()}, "
        "by `make benchmark` (scripts/benchmark.py). 16 conversations of 10 turns each (the held-out "
        "graduate questions), run one at a time and then all 16 at once. History and analysis: "
        "[performance.md](performance.md).",
        "",
        "| figure | value | target |",
        "| --- | --- | --- |",
        f"| cold start to first answer | {cold_s:.1f} s | ≤ 20 s |",
        f"| training time (`rasa train --force`) | {'not measured' if train_s is None else f'{train_s:.0f} s'} | — |",
    ]
    for r in results:
        target = "p50 ≤ 60 ms, p99 ≤ 250 ms" if r.concurrency == 16 else "—"
        lines.append(f"| {r.concurrency} concurrent: p50 / p99 latency | {r.p50:.0f} ms / {r.p99:.0f} ms | {target} |")
        lines.append(f"| {r.concurrency} concurrent: throughput | {r.rate:.1f} turns/s ({r.turns} turns) | — |")
    for name, mb in memory.items():
        lines.append(f"| resident memory, {name} | {mb:.0f} MB | — |")
    return "\n".join(lines) + "\n"


def _cores() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
