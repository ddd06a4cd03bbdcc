"""The knowledge base as the action server holds it: loaded once at start-up (failing fast), and
reloaded when a data file changes, so an edited entry changes the next answer without retraining."""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Tuple

from policy_kb.kb import KnowledgeBase
from policy_kb.loader import FILES, KBError, load_kb

logger = logging.getLogger(__name__)
Stamp = Tuple[Tuple[str, int, int], ...]


class KBStore:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._stamp = self._read_stamp()
        self._kb = load_kb(data_dir)  # a broken file stops start-up here
        self.reloads = {"ok": 0, "rejected": 0}  # for the action server's metrics

    def get(self) -> KnowledgeBase:
        """The current knowledge base; a file edited since the last call is loaded first.

        An edit that breaks validation is logged with its file, entry and field, and the last good
        knowledge base keeps answering until the file is fixed."""
        stamp = self._read_stamp()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._stamp = stamp
                    self._reload()
        return self._kb

    def _reload(self) -> None:
        try:
            self._kb = load_kb(self.data_dir)
            self.reloads["ok"] += 1
            logger.info("knowledge base reloaded from %s", self.data_dir)
        except KBError as error:
            self.reloads["rejected"] += 1
            logger.error("knowledge base edit rejected, still answering from the last good data: %s", error)

    def _read_stamp(self) -> Stamp:
        parts = []
        for name in FILES:
            try:
                stat = (self.data_dir / name).stat()
                parts.append((name, stat.st_mtime_ns, stat.st_size))
            except FileNotFoundError:
                parts.append((name, -1, -1))
        return tuple(parts)
