"""Start and stop the console (python -m console) as a process on loopback, the way
devstack.stack.running_gateway does for the gateway: used by the tests and for trying it out."""
from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from subprocess import Popen
from typing import Dict, Optional

from devstack.stack import running_service


def running_console(port: int, log_dir: Path, env: Optional[Dict[str, str]] = None,
                    timeout: float = 60.0) -> "AbstractContextManager[Popen]":
    """The console on 127.0.0.1:`port`, stopped on exit. `env` carries the ledger's settings
    (DATABASE_URL, LEDGER_KEYS, LEDGER_HASH_KEY) and any CONSOLE_* setting."""
    return running_service("console", port, log_dir,
                           {"CONSOLE_HOST": "127.0.0.1", "CONSOLE_PORT": str(port), **(env or {})}, timeout)
