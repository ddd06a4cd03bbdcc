"""What the load tool watches besides the turns: resident memory and CPU time of every process of
the cluster (from /proc, no psutil), the machine's CPU and load average.

A process's figures include its children (none today: every service is one process), so a
service that forks workers later is still measured whole; a watched process is never counted
inside another (the cluster's processes are the load tool's children).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


@dataclass
class Sample:
    at: float  # time.monotonic()
    rss_mb: Dict[str, float]  # process name → MB
    load: Tuple[float, float, float]


@dataclass
class CpuMark:
    """CPU seconds so far: per watched process, and the whole machine's busy and total time."""

    at: float
    process: Dict[str, float]
    machine_busy: float
    machine_total: float


@dataclass
class Watch:
    pids: Dict[str, int]  # name → pid
    samples: List[Sample] = field(default_factory=list)

    def sample(self) -> Sample:
        tree = self._tree()
        taken = Sample(time.monotonic(), {name: rss_mb(pid, tree) for name, pid in self.pids.items()}, os.getloadavg())
        self.samples.append(taken)
        return taken

    def cpu(self) -> CpuMark:
        busy, total = machine_cpu()
        tree = self._tree()
        return CpuMark(time.monotonic(), {name: cpu_seconds(pid, tree) for name, pid in self.pids.items()}, busy, total)

    def _tree(self) -> Dict[int, List[int]]:
        """Children of every process, leaving out the watched ones (each is counted on its own)."""
        watched = set(self.pids.values())
        return {parent: [c for c in kids if c not in watched] for parent, kids in _children().items()}


def rss_mb(pid: int, tree: Dict[int, List[int]]) -> float:
    """VmRSS of the process and its descendants, in MB (0 for a process that is gone)."""
    return sum(_status_kb(p, "VmRSS") for p in [pid] + descendants(pid, tree)) / 1024


def cpu_seconds(pid: int, tree: Dict[int, List[int]]) -> float:
    """utime + stime of the process and its descendants."""
    return sum(_cpu_ticks(p) for p in [pid] + descendants(pid, tree)) / TICKS


def _children() -> Dict[int, List[int]]:
    """Every process's children, from one pass over /proc."""
    children: Dict[int, List[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            parent = _parent(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    return children


def descendants(pid: int, children: Dict[int, List[int]]) -> List[int]:
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def machine_cpu() -> Tuple[float, float]:
    """Busy and total CPU seconds of the whole machine (all cores) since boot."""
    fields = [float(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user
    return (total - idle) / TICKS, total / TICKS


def redis_pid(url: str) -> Optional[int]:
    """The Redis server's pid, when it runs on this machine."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2)
        pid = int(client.info("server")["process_id"])
        client.close()
    except (redis.RedisError, KeyError, ValueError):
        return None
    return pid if (PROC / str(pid)).exists() else None


def _status_kb(pid: int, key: str) -> float:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def _stat_fields(pid: int) -> List[str]:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return []
    return raw[raw.rfind(")") + 2:].split()  # the command name may hold spaces and parentheses


def _parent(pid: int) -> Optional[int]:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def _cpu_ticks(pid: int) -> float:
    fields = _stat_fields(pid)
    return float(fields[11]) + float(fields[12]) if fields else 0.0
