"""The action server's one knowledge-base store, created on first use (or at start-up by server.py)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from policy_kb import DEFAULT_DATA_DIR, KnowledgeBase
from policy_kb.store import KBStore

_store: Optional[KBStore] = None


def kb_dir() -> Path:
    """`POLICY_KB_DIR` if set (a deployment's own data), else the data shipped in the repo."""
    return Path(os.environ.get("POLICY_KB_DIR") or DEFAULT_DATA_DIR)


def open_store(data_dir: Optional[Path] = None) -> KBStore:
    global _store
    _store = KBStore(data_dir or kb_dir())
    return _store


def kb() -> KnowledgeBase:
    return (_store or open_store()).get()
