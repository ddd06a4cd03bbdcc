"""`rasa test` on the conversation stories: every intent and every next action must match."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.stack
def test_conversation_stories_pass_without_prediction_errors(model: Path, tmp_path: Path) -> None:
    rasa = Path(sys.executable).parent / "rasa"
    result = subprocess.run(
        [str(rasa), "test", "core", "--model", str(model), "--stories", str(ROOT / "tests" / "stories"),
         "--fail-on-prediction-errors", "--out", str(tmp_path / "results")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    failed = tmp_path / "results" / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, details
