"""`python -m devstack.cluster`: the production topology on one machine, without Docker — 2 action
servers, 2 Rasa servers, 2 gateways and 2 push workers on loopback, sharing one Redis and one
PostgreSQL database. It prints where everything listens; Ctrl-C, SIGTERM or SIGHUP stops everything
it started.

    DATABASE_URL=postgresql://… LEDGER_KEYS=… LEDGER_HASH_KEY=… REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python -m devstack.cluster [--replicas 1|2]

Topology (docs/deployment.md):
- Rasa replica i calls action server i (Rasa's action_endpoint is one URL; the pair fails and
  recovers together, and the gateway moves the pair's graduates to the other replica);
- every Rasa replica uses the RedisLockStore (keys `rasa:lock:`) and the shared tracker store
  (nlu.server.private_store.PrivateTrackerStore on TRACKER_STORE_URL, here the same Redis; Rasa's own
  Redis tracker store, keys `rasa:tracker:`, where that module is absent);
- every gateway knows every Rasa replica (RASA_URL, comma-separated) and shares its state through
  Redis (`gw:`); the push workers share the queue (`push:`) and the database.

The channels come from the environment as for one gateway (WECHAT_*, TELEGRAM_*); two gateways
cannot both long-poll Telegram, so Telegram needs TELEGRAM_WEBHOOK_URL here.
`running_cluster(...)` is the same topology for tests and the load tool.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional
from urllib.parse import unquote, urlsplit

from devstack.stack import (ROOT, Service, StackError, _endpoints_file, actions_command, free_port, port_is_free, process_env,
                       rasa_command, stopped_by_signals)

LOCK_STORE = "nlu.server.lock_store.AtomicRedisLockStore"  # Rasa's RedisLockStore, each step one atomic script
LOCK_PREFIX = "rasa"  # Rasa appends ":lock:" (lock store) and ":tracker:" (its Redis tracker store)
PRIVATE_TRACKER_STORE = ROOT / "nlu" / "server" / "private_store.py"
DEFAULT_LOCK_LIFETIME = 5  # seconds: how long a killed replica's conversation lock blocks the other


class ClusterError(RuntimeError):
    """The cluster cannot start as asked; the message names the setting."""


@dataclass(frozen=True)
class Ports:
    """Where the replicas listen: replica i (from 0) on `<kind> + i`."""

    rasa: int = 5005
    actions: int = 5055
    gateway: int = 8080

    @classmethod
    def free(cls) -> "Ports":
        """Three runs of two free ports each (for tests)."""
        return cls(*(free_port(pair=True) for _ in range(3)))


@dataclass
class Cluster:
    log_dir: Path
    redis_url: str
    database_url: str
    actions: List[Service] = field(default_factory=list)
    rasa: List[Service] = field(default_factory=list)
    gateways: List[Service] = field(default_factory=list)
    workers: List[Service] = field(default_factory=list)

    @property
    def rasa_urls(self) -> List[str]:
        return [_base(service) for service in self.rasa]

    @property
    def gateway_urls(self) -> List[str]:
        return [_base(service) for service in self.gateways]

    def services(self) -> List[Service]:
        """Every process, in start order."""
        return self.actions + self.rasa + self.gateways + self.workers

    def service(self, name: str) -> Service:
        """One process by name: actions-1, rasa-2, gateway-1, worker-2 …"""
        for service in self.services():
            if service.name == name:
                return service
        raise KeyError(f"no process named {name!r}; there are {', '.join(s.name for s in self.services())}")

    def stop(self) -> None:
        for service in reversed(self.services()):
            service.stop()

    def describe(self) -> str:
        lines = [f"{s.name:10} pid {s.pid:<7} {s.ready_url or 'queue consumer'}" for s in self.services()]
        return "\n".join(lines + [f"Redis: {_safe(self.redis_url)}  ·  database: {_safe(self.database_url)}",
                                  f"logs: {self.log_dir}"])


@contextmanager
def running_cluster(
    model: Path,
    redis_url: str,
    env: Mapping[str, str],
    replicas: int = 2,
    ports: Optional[Ports] = None,
    log_dir: Optional[Path] = None,
    lock_lifetime: int = DEFAULT_LOCK_LIFETIME,
    timeout: float = 240.0,
) -> Iterator[Cluster]:
    """The topology up and answering (each process's health checked), stopped on exit.

    `env` holds what every process shares: DATABASE_URL (PostgreSQL), LEDGER_KEYS,
    LEDGER_HASH_KEY, the channels (WECHAT_*, TELEGRAM_* with a webhook), PUSH_* timings.
    `replicas`: 1 or 2 of each process. Processes are `cluster.service("rasa-1")` etc.; a test may
    `kill()` and `start()` any one of them."""
    if replicas not in (1, 2):
        raise ClusterError(f"replicas: 1 or 2, got {replicas}")
    database_url = env.get("DATABASE_URL") or ""
    if not database_url.startswith("postgresql"):
        raise ClusterError("DATABASE_URL: the replicas share one PostgreSQL database (postgresql://…)")
    if env.get("TELEGRAM_BOT_TOKEN") and not env.get("TELEGRAM_WEBHOOK_URL") and replicas > 1:
        raise ClusterError("TELEGRAM_WEBHOOK_URL: two gateways cannot both long-poll Telegram; set a webhook")
    ports = ports or Ports()
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="cluster-logs-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    cluster = _build(model, redis_url, dict(env), replicas, ports, log_dir, lock_lifetime)
    busy = [s.ready_url for s in cluster.services() if s.ready_url and not port_is_free(_port(s))]
    if busy:
        raise StackError(f"already in use on 127.0.0.1: {', '.join(map(str, busy))}")
    _migrate(env)
    with stopped_by_signals():
        try:
            for group in (cluster.actions, cluster.rasa, cluster.gateways, cluster.workers):
                for service in group:  # a group starts together: two Rasa servers load in parallel
                    service.spawn()
                for service in group:
                    service.wait_ready(timeout)
            yield cluster
        finally:
            cluster.stop()


def _build(model: Path, redis_url: str, env: Dict[str, str], replicas: int, ports: Ports, log_dir: Path,
           lock_lifetime: int) -> Cluster:
    shared = process_env({**env, "REDIS_URL": redis_url, "TRACKER_STORE_URL": env.get("TRACKER_STORE_URL") or redis_url})
    cluster = Cluster(log_dir, redis_url, env["DATABASE_URL"])
    rasa_urls = [f"http://127.0.0.1:{ports.rasa + i}" for i in range(replicas)]
    for i in range(replicas):
        n, actions_port, rasa_port = i + 1, ports.actions + i, ports.rasa + i
        cluster.actions.append(Service(f"actions-{n}", actions_command(actions_port), shared,
                                       log_dir / f"actions-{n}.log", f"http://127.0.0.1:{actions_port}/health"))
        endpoints = rasa_endpoints(log_dir, n, actions_port, redis_url)
        rasa_env = {**shared, "TICKET_LOCK_LIFETIME": str(lock_lifetime)}
        cluster.rasa.append(Service(f"rasa-{n}", rasa_command(model, rasa_port, endpoints, enable_api=True), rasa_env,
                                    log_dir / f"rasa-{n}.log", f"{rasa_urls[i]}/"))
    for i in range(replicas):
        n, port = i + 1, ports.gateway + i
        gateway_env = {**shared, "RASA_URL": ",".join(rasa_urls), "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(port)}
        # /health/live: up, even while a Rasa replica or Redis is down (/health says which)
        cluster.gateways.append(Service(f"gateway-{n}", [sys.executable, "-m", "bot.gateway"], gateway_env,
                                        log_dir / f"gateway-{n}.log", f"http://127.0.0.1:{port}/health/live"))
        cluster.workers.append(Service(f"worker-{n}", [sys.executable, "-m", "push"], shared,
                                       log_dir / f"worker-{n}.log", ready_line=" running"))
    return cluster


def _migrate(env: Mapping[str, str]) -> None:
    """The ledger's schema brought up to date once, here, so the replicas do not race to do it."""
    from ledger.config import LedgerConfigError, settings_from_env
    from ledger.store import Ledger

    try:
        Ledger.open(settings_from_env(env)).close()
    except LedgerConfigError as error:
        raise ClusterError(str(error)) from None


def rasa_endpoints(log_dir: Path, replica: int, actions_port: int, redis_url: str) -> Path:
    """Replica `replica`'s endpoints file: its action server, the Redis lock store and the shared
    tracker store (the lock store and Rasa's Redis tracker store under different key prefixes)."""
    redis = _redis_fields(redis_url)
    lock_store = f"lock_store:\n  type: {LOCK_STORE}\n{redis}  key_prefix: {LOCK_PREFIX}\n"
    path = _endpoints_file(log_dir, actions_port, name=f"endpoints-{replica}.yml", extra=lock_store)
    text = path.read_text(encoding="utf-8")
    if "tracker_store:" not in text:
        if PRIVATE_TRACKER_STORE.is_file():
            text += "tracker_store:\n  type: nlu.server.private_store.PrivateTrackerStore\n"
        else:
            text += f"tracker_store:\n  type: redis\n{redis}  key_prefix: {LOCK_PREFIX}\n"
        path.write_text(text, encoding="utf-8")
    return path


def _redis_fields(redis_url: str) -> str:
    """Rasa's Redis stores take host, port, db and password as separate fields."""
    parts = urlsplit(redis_url)
    if parts.scheme != "redis" or not parts.hostname:
        raise ClusterError(f"REDIS_URL: expected redis://host:port/db, got {_safe(redis_url)!r}")
    db = parts.path.strip("/") or "0"
    if not db.isdigit():
        raise ClusterError(f"REDIS_URL: the database must be a number, got {db!r}")
    fields = f"  url: {parts.hostname}\n  port: {parts.port or 6379}\n  db: {db}\n"
    if parts.password:
        fields += f"  password: \"{unquote(parts.password)}\"\n"
    return fields


def _base(service: Service) -> str:
    parts = urlsplit(service.ready_url or "")
    return f"{parts.scheme}://{parts.netloc}"


def _port(service: Service) -> int:
    return int(urlsplit(service.ready_url or "").port or 0)


def _safe(url: str) -> str:
    parts = urlsplit(url)
    return url.replace(f":{parts.password}@", ":***@") if parts.password else url


# ---- the command ---------------------------------------------------------------------------

def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, choices=(1, 2), default=2)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    parser.add_argument("--logs", type=Path, default=ROOT / ".rasa" / "cluster-logs")
    parser.add_argument("--rasa-port", type=int, default=Ports.rasa, help="replica i listens on this + i")
    parser.add_argument("--actions-port", type=int, default=Ports.actions)
    parser.add_argument("--gateway-port", type=int, default=Ports.gateway)
    args = parser.parse_args(argv)
    ports = Ports(args.rasa_port, args.actions_port, args.gateway_port)
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    print(f"Starting {args.replicas} of each process (logs in {args.logs}); about a minute…", flush=True)
    try:
        with stopped_by_signals(), \
                running_cluster(args.model, redis_url, os.environ, args.replicas, ports, args.logs) as cluster:
            print(cluster.describe(), flush=True)
            print("Ctrl-C (or SIGTERM, SIGHUP) stops everything.", flush=True)
            _watch(cluster)
    except (ClusterError, StackError) as error:
        print(f"could not start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM / SIGHUP (devstack.stack.Stopped)
        pass
    print("\nStopped.")
    return 0


def _watch(cluster: Cluster) -> None:
    """Until stopped: say once when a process exits (production restarts it; here you do)."""
    reported: set = set()
    while True:
        for service in cluster.services():
            if not service.alive() and service.name not in reported:
                print(f"{service.name} exited; its log: {service.log}", file=sys.stderr, flush=True)
                reported.add(service.name)
        time.sleep(1.0)


if __name__ == "__main__":
    sys.exit(main())
