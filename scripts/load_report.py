"""The load tool's figures: one `Step` per concurrency level (turns, latency percentiles,
throughput, errors, CPU and memory per process), a soak's memory slope, and the JSON and
markdown written from them."""
from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List

from scripts.load_watch import CpuMark, Sample

LATE = 5.0  # WeChat gives up on a push after 5 s


@dataclass
class Turn:
    at: float  # sent (time.monotonic())
    latency: float
    outcome: str  # answer | sorry | late | error:<what>
    channel: str  # wx | tg
    kind: str  # kb | registration | subscription


def pct(values: List[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`, 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def latency_ms(turns: List[Turn]) -> Dict[str, float]:
    answered = [t.latency for t in turns if not t.outcome.startswith("error")]
    return {name: round(pct(answered, q) * 1000, 1) for name, q in
            (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))}


def counts(turns: List[Turn], key: str) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for turn in turns:
        value = getattr(turn, key)
        out[value] = out.get(value, 0) + 1
    return dict(sorted(out.items()))


@dataclass
class Step:
    graduates: int
    seconds: float
    turns: List[Turn]
    cpu_start: CpuMark
    cpu_end: CpuMark
    memory: List[Sample]
    fallback: Dict[str, float] = field(default_factory=dict)  # answers, fallbacks (action servers' metrics)
    registrations: Dict[str, int] = field(default_factory=dict)  # confirmed, found in the ledger

    def summary(self) -> Dict[str, Any]:
        turns = self.turns
        errors = [t for t in turns if t.outcome.startswith("error")]
        return {
            "graduates": self.graduates, "seconds": round(self.seconds, 1), "turns": len(turns),
            "turns_per_s": round(len(turns) / self.seconds, 1) if self.seconds else 0.0,
            "latency_ms": latency_ms(turns),
            "latency_ms_by_channel": {c: latency_ms([t for t in turns if t.channel == c]) for c in counts(turns, "channel")},
            "errors": len(errors), "error_kinds": counts(errors, "outcome"),
            "sorry": sum(t.outcome == "sorry" for t in turns), "late_answers": sum(t.outcome == "late" for t in turns),
            "over_5s": sum(t.latency > LATE for t in turns),
            "turns_by_kind": counts(turns, "kind"), "turns_by_channel": counts(turns, "channel"),
            "fallback": self.fallback, "registrations": self.registrations,
            "cpu": self.cpu(), "memory_mb": self.memory_figures(),
            "load_average": {"start": list(self.memory[0].load) if self.memory else [],
                             "end": list(self.memory[-1].load) if self.memory else []},
        }

    def cpu(self) -> Dict[str, Any]:
        """Per process: share of one core and CPU ms per turn; the machine: busy share of all
        cores, and the part of it no watched process used (other work on the machine)."""
        wall = self.cpu_end.at - self.cpu_start.at
        used = {n: self.cpu_end.process[n] - self.cpu_start.process.get(n, 0.0) for n in self.cpu_end.process}
        busy = self.cpu_end.machine_busy - self.cpu_start.machine_busy
        total = self.cpu_end.machine_total - self.cpu_start.machine_total
        ours = sum(v for n, v in used.items() if n != "redis-server")
        per_turn = 1000 / max(len(self.turns), 1)
        stack = sum(v for n, v in used.items() if n != "load-tool") * per_turn
        return {
            "processes": {n: {"core_share": round(v / wall, 3), "ms_per_turn": round(v * per_turn, 2)} for n, v in used.items()},
            # every process of the stack (and Redis), not the load tool: what all cores could carry
            "stack_ms_per_turn": round(stack, 1),
            "capacity_turns_per_s": round((os.cpu_count() or 1) * 1000 / stack, 1) if stack else 0.0,
            "machine_busy": round(busy / total, 3) if total else 0.0,
            "machine_busy_cores": round(busy / wall, 2) if wall else 0.0,
            "others_cores": round(max(busy - ours - used.get("redis-server", 0.0), 0.0) / wall, 2) if wall else 0.0,
        }

    def memory_figures(self) -> Dict[str, Dict[str, float]]:
        if not self.memory:
            return {}
        first, last = self.memory[0].rss_mb, self.memory[-1].rss_mb
        return {n: {"start": round(first[n], 1), "end": round(last[n], 1), "max": round(max(s.rss_mb[n] for s in self.memory), 1),
                    "growth": round(last[n] - first[n], 1)} for n in first}


def slope_mb_per_min(samples: List[Sample], name: str) -> float:
    """Least-squares slope of a process's RSS over the samples."""
    xs = [s.at / 60 for s in samples]
    ys = [s.rss_mb[name] for s in samples]
    if len(xs) < 2:
        return 0.0
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0


def soak_figures(samples: List[Sample], warm_up: float) -> Dict[str, Dict[str, Any]]:
    """Per process: RSS after warm-up and at the end, and the slope after warm-up. Flat: the
    slope would add less than 5 % of the process's memory in an hour (and under 2 MB in 10 min
    for the small ones)."""
    start = samples[0].at
    settled = [s for s in samples if s.at - start >= warm_up] or samples
    out = {}
    for name in samples[0].rss_mb:
        slope = slope_mb_per_min(settled, name)
        rss = settled[-1].rss_mb[name]
        out[name] = {"after_warm_up": round(settled[0].rss_mb[name], 1), "end": round(rss, 1),
                     "slope_mb_per_min": round(slope, 3), "flat": slope * 60 < max(0.05 * rss, 12.0)}
    return out


def environment() -> Dict[str, Any]:
    return {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version()}


def write(out: Path, run: Dict[str, Any]) -> Path:
    """`<out>.json` and `<out>.md`; returns the markdown's path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(run, ensure_ascii=False, indent=1), encoding="utf-8")
    markdown = out.with_suffix(".md")
    markdown.write_text(render(run), encoding="utf-8")
    return markdown


def render(run: Dict[str, Any]) -> str:
    env, args = run["environment"], run["arguments"]
    lines = [f"# Load: {args['replicas']} replica(s), mix {args['mix']}{' (soak)' if run.get('soak') else ''}", "",
             f"{env['date']}, {env['machine']}, {env['cores']} cores, Python {env['python']}. "
             f"WeChat {'safe mode' if args['safe_mode'] else 'plaintext'}, Telegram webhook share {args['telegram_share']:.0%}, "
             f"think time {args['think']} s, warm-up {args['warm_up']} s per step.", "",
             "| graduates | turns | turns/s | p50 ms | p95 ms | p99 ms | max ms | errors | sorry | late (CS API) | > 5 s | fallback | load avg (start → end) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for s in run["steps"]:
        lat, load = s["latency_ms"], s["load_average"]
        fb = s["fallback"]
        fallback = f"{fb['fallbacks']:.0f}/{fb['answers']:.0f}" if fb else "–"
        lines.append(f"| {s['graduates']} | {s['turns']} | {s['turns_per_s']} | {lat['p50']:.0f} | {lat['p95']:.0f} | "
                     f"{lat['p99']:.0f} | {lat['max']:.0f} | {s['errors']} | {s['sorry']} | {s['late_answers']} | "
                     f"{s['over_5s']} | {fallback} | {_load(load['start'])} → {_load(load['end'])} |")
    lines += ["", "CPU per process (share of one core; ms of CPU per turn), the stack's CPU per turn and the turns/s all "
              "cores could carry at that cost, and memory (RSS MB, step start → end):", "",
              "| step | " + " | ".join(run["steps"][0]["cpu"]["processes"]) + " | stack ms/turn (capacity) | machine busy (cores) | others (cores) |",
              "| --- " * (len(run["steps"][0]["cpu"]["processes"]) + 4) + "|"]
    for s in run["steps"]:
        cells = [f"{v['core_share']:.2f} / {v['ms_per_turn']:.1f} ms" for v in s["cpu"]["processes"].values()]
        lines.append(f"| {s['graduates']} | " + " | ".join(cells) + f" | {s['cpu'].get('stack_ms_per_turn', 0)} "
                     f"({s['cpu'].get('capacity_turns_per_s', 0)}/s) | {s['cpu']['machine_busy_cores']} | {s['cpu']['others_cores']} |")
    for s in run["steps"]:
        cells = [f"{v['start']:.0f} → {v['end']:.0f}" for v in s["memory_mb"].values()]
        lines.append(f"| {s['graduates']} (MB) | " + " | ".join(cells) + " | | | |")
    for s in run["steps"]:
        extra = {k: s[k] for k in ("turns_by_kind", "turns_by_channel", "error_kinds", "registrations") if s[k]}
        lines.append(f"\nStep {s['graduates']}: {json.dumps(extra, ensure_ascii=False)}; by channel "
                     f"{json.dumps(s['latency_ms_by_channel'])}")
    if run.get("soak"):
        lines += ["", "Soak: RSS (MB) after warm-up, at the end, slope after warm-up:", "",
                  "| process | after warm-up | end | MB/min | flat |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {n} | {v['after_warm_up']} | {v['end']} | {v['slope_mb_per_min']:+.3f} | {'yes' if v['flat'] else 'NO'} |"
                  for n, v in run["soak"].items()]
    return "\n".join(lines) + "\n"


def _load(values: List[float]) -> str:
    return "/".join(f"{v:.1f}" for v in values) if values else "–"

