"""Start and stop the console (python -m bot.console) as a process on loopback, the way
bot.stack.running_gateway does for the gateway: used by the tests and for trying it out."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from subprocess import Popen
from typing import Dict, Iterator, Optional

from bot.stack import ROOT, StackError, _spawn, _terminate, _wait_ready, port_is_free


@contextmanager
def running_console(port: int, log_dir: Path, env: Optional[Dict[str, str]] = None, timeout: float = 60.0) -> Iterator[Popen]:
    """The console on 127.0.0.1:`port`, stopped on exit. `env` carries the ledger's settings
    (DATABASE_URL, LEDGER_KEYS, LEDGER_HASH_KEY) and any CONSOLE_* setting."""
    if not port_is_free(port):
        raise StackError(f"port {port} on 127.0.0.1 is already in use")
    log_dir.mkdir(parents=True, exist_ok=True)
    process_env = {**os.environ, "PYTHONPATH": str(ROOT), "CONSOLE_HOST": "127.0.0.1", "CONSOLE_PORT": str(port), **(env or {})}
    log = log_dir / f"console-{port}.log"
    process = _spawn([sys.executable, "-m", "bot.console"], log, process_env)
    try:
        _wait_ready(process, f"http://127.0.0.1:{port}/health", log, timeout)
        yield process
    finally:
        _terminate(process)
