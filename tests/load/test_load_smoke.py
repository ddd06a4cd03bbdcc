"""The load tool (scripts/load.py) runs end to end and its report has every figure: one replica,
a few graduates for ~10 s of the mixed load. Speed is not checked here; the figures are written
down in docs/load.md by the tool itself."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis

from scripts import load

pytestmark = pytest.mark.stack


def test_a_short_mixed_run_reports_every_figure(model: Path, tmp_path: Path) -> None:
    if redis.Redis.from_url(load.REDIS_URL).dbsize():
        pytest.skip(f"{load.REDIS_URL} is in use (a load run going on)")
    out = tmp_path / "smoke"
    assert load.main(["--replicas", "1", "--graduates", "3", "--duration", "8", "--warm-up", "4", "--mix", "mixed",
                      "--sample", "2", "--out", str(out)]) == 0
    report = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    [step] = report["steps"]
    assert step["turns"] > 0 and step["turns_per_s"] > 0
    assert set(step["latency_ms"]) == {"p50", "p95", "p99", "max"}
    assert {"errors", "over_5s", "late_answers", "sorry", "cpu", "memory_mb", "load_average"} <= set(step)
    assert {"actions-1", "rasa-1", "gateway-1", "worker-1", "load-tool"} <= set(step["memory_mb"])
    assert all(m["end"] > 0 for name, m in step["memory_mb"].items())
    assert step["errors"] == 0 and step["over_5s"] == 0
    assert "| graduates | turns | turns/s |" in out.with_suffix(".md").read_text(encoding="utf-8")
    assert redis.Redis.from_url(load.REDIS_URL).dbsize() == 0  # cleaned up
