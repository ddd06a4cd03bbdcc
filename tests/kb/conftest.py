"""A private copy of the shipped knowledge base that a test may break or edit."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policy_kb import DEFAULT_DATA_DIR


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target
