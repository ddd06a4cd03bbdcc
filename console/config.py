"""Console settings, read once from the environment; a wrong value stops start-up with the
variable named. The ledger database and its keys come from ledger/config.py (DATABASE_URL,
LEDGER_KEYS, LEDGER_HASH_KEY …), so the console works on the same data as the assistant.

CONSOLE_HOST / CONSOLE_PORT   where the console listens (127.0.0.1:8090); put it behind the
                              bureau's TLS proxy, never straight on the internet
CONSOLE_SESSION_HOURS         how long a login lasts (default 8, at most 24)
POLICY_KB_DIR                 the knowledge base whose districts.yml names the districts
                              (default: the data shipped in the repository)
CONSOLE_METRICS_PORT          GET /metrics (and /health) on a port of its own, never on the console's
CONSOLE_METRICS_HOST          (unset = off; host 127.0.0.1; runtime/health.py, docs/observability.md)
FORWARDED_ALLOW_IPS           the proxies whose X-Forwarded-For / X-Forwarded-Proto are believed:
                              addresses or networks, comma-separated (127.0.0.1,172.18.0.0/16);
                              unset or empty: none, the connection's own address counts (proxies.py)
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Mapping, Optional, Tuple

import yaml

from console.proxies import Network, parse_networks
from runtime.health import Listener, ListenerConfigError, listener_from_env
from policy_kb.loader import DEFAULT_DATA_DIR


class ConsoleConfigError(Exception):
    """A console setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class ConsoleSettings:
    host: str = "127.0.0.1"
    port: int = 8090
    session_hours: int = 8
    districts: Tuple[str, ...] = field(default_factory=lambda: tuple(load_districts(DEFAULT_DATA_DIR)))
    forwarded_allow_ips: Tuple[Network, ...] = ()  # FORWARDED_ALLOW_IPS
    metrics: Optional[Listener] = None  # CONSOLE_METRICS_PORT / _HOST
    # the login throttle (throttle.py): per name and address, these many failures are free …
    free_failures: int = 5
    wait_step: float = 1.0  # … then each next attempt waits 1, 2, 4 … seconds after the last failure
    wait_max: float = 900.0
    failure_minutes: int = 15  # a failure is forgotten after this long
    ip_delay_step: float = 0.5  # seconds of delay per recent failed login from the same address
    ip_delay_max: float = 8.0


def settings_from_env(env: Optional[Mapping[str, str]] = None) -> ConsoleSettings:
    env = os.environ if env is None else env
    kb_dir = Path(env.get("POLICY_KB_DIR") or DEFAULT_DATA_DIR)
    return ConsoleSettings(
        host=env.get("CONSOLE_HOST") or "127.0.0.1",
        port=_whole(env, "CONSOLE_PORT", 8090, 1, 65535),
        session_hours=_whole(env, "CONSOLE_SESSION_HOURS", 8, 1, 24),
        districts=tuple(load_districts(kb_dir)),
        forwarded_allow_ips=_networks(env, "FORWARDED_ALLOW_IPS"),
        metrics=_metrics_listener(env),
    )


def load_districts(kb_dir: Path) -> List[str]:
    """The district names of the knowledge base's districts.yml, in its order (the KB's own loader
    validates the file; only the names are needed here)."""
    path = kb_dir / "districts.yml"
    try:
        names = [entry["name"] for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["districts"]]
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as error:
        raise ConsoleConfigError(f"POLICY_KB_DIR: cannot read the districts from {path}: {error}") from None
    if not names or not all(isinstance(name, str) and name for name in names):
        raise ConsoleConfigError(f"POLICY_KB_DIR: {path} lists no districts")
    return names


def _networks(env: Mapping[str, str], name: str) -> Tuple[Network, ...]:
    try:
        return parse_networks(env.get(name) or "")
    except ValueError as error:
        raise ConsoleConfigError(f"{name}: {error}") from None


def _metrics_listener(env: Mapping[str, str]) -> Optional[Listener]:
    try:
        return listener_from_env("CONSOLE_METRICS", env=env)
    except ListenerConfigError as error:
        raise ConsoleConfigError(str(error)) from None


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ConsoleConfigError(f"{name}: expected a whole number {low}–{high}, got {raw!r}")
    return int(raw)
