"""A broken knowledge-base file stops the action server (and so the assistant) at start-up."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_action_server_refuses_to_start_on_a_broken_file(data_dir: Path) -> None:
    data = data_dir
    policies = data / "policies.yml"
    policies.write_text(policies.read_text(encoding="utf-8").replace("kind: subsidy", "kind: grant", 1), encoding="utf-8")
    env = {**os.environ, "POLICY_KB_DIR": str(data), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "actions.server", "--port", str(free_port())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert f"{policies}: policies entry 'shebao_subsidy' (#1): field 'kind'" in result.stderr


def test_training_export_refuses_a_broken_file(data_dir: Path, tmp_path: Path) -> None:
    data = data_dir
    (data / "districts.yml").write_text("districts: [\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "policy_kb", "--data", str(data), "export-nlu", "--out", str(tmp_path / "out")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1 and "districts.yml" in result.stderr and "invalid YAML" in result.stderr
    assert not (tmp_path / "out").exists()
