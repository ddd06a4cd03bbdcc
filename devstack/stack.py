"""Start and stop the assistant's processes (action server + Rasa server) on loopback.

Used by `make run` (devstack.local), the tests and the benchmark, so all three run the same thing;
devstack.cluster builds the multi-replica topology from the same pieces (Service, the commands, the
endpoints file).
"""
from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Dict, Iterator, List, Optional

import httpx

ROOT = Path(__file__).resolve().parent.parent


class StackError(RuntimeError):
    """A process did not start; the message carries the tail of its log."""


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP (a service manager, `kill`, a closed terminal): stop as on Ctrl-C."""


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Inside, SIGTERM and SIGHUP raise `Stopped` (a KeyboardInterrupt) in the main thread, so the
    runners' `finally` stops their processes as on Ctrl-C; left at Python's default, they would end
    this process at once and leave its servers running (they run in sessions of their own).

    A signal someone chose to ignore (`nohup` ignores SIGHUP) or to handle stays so; a second
    signal while stopping is ignored, so the stopping finishes; nested uses are one."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    taken = [sig for sig, handler in previous.items() if handler == signal.SIG_DFL]
    for sig in taken:
        signal.signal(sig, _stop)
    try:
        yield
    finally:
        for sig in taken:
            signal.signal(sig, previous[sig])


def _stop(signum: int, frame: Optional[FrameType]) -> None:
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) == _stop:
            signal.signal(sig, signal.SIG_IGN)
    raise Stopped(signal.Signals(signum).name)


@dataclass
class Stack:
    rasa_url: str
    actions_url: str
    log_dir: Path
    processes: List[subprocess.Popen] = field(default_factory=list)
    actions_command: List[str] = field(default_factory=list)
    env: Dict[str, str] = field(default_factory=dict)

    def restart_actions(self, timeout: float = 60.0) -> None:
        """Kill the action server (SIGKILL, as a crash would) and start it again on its port."""
        old = self.processes[0]
        _kill(old)
        self.processes[0] = _spawn(self.actions_command, self.log_dir / "actions.log", self.env)
        _wait_ready(self.processes[0], f"{self.actions_url}/health", self.log_dir / "actions.log", timeout)

    def stop(self) -> None:
        for process in reversed(self.processes):
            _terminate(process)
        self.processes.clear()


@dataclass
class Service:
    """One process of the assistant that a test may kill and start again on the same port: ready
    when `ready_url` answers 200, or (a process without HTTP) when `ready_line` shows in its log."""

    name: str
    command: List[str]
    env: Dict[str, str]
    log: Path
    ready_url: Optional[str] = None
    ready_line: Optional[str] = None
    process: Optional[subprocess.Popen] = None
    _offset: int = 0  # where this run's part of the log begins

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not started"
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 180.0) -> None:
        self.spawn()
        self.wait_ready(timeout)

    def spawn(self) -> None:
        """Start it without waiting (several start at once, then `wait_ready` each)."""
        self._offset = self.log.stat().st_size if self.log.exists() else 0
        self.process = _spawn(self.command, self.log, self.env)

    def wait_ready(self, timeout: float = 180.0) -> None:
        assert self.process is not None, f"{self.name} is not started"
        if self.ready_url:
            _wait_ready(self.process, self.ready_url, self.log, timeout)
        elif self.ready_line:
            _wait_for_line(self.process, self.ready_line, self.log, self._offset, timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no goodbye, its children too."""
        if self.process is not None:
            _kill(self.process)

    def restart(self, timeout: float = 180.0) -> None:
        self.stop()
        self.start(timeout)

    def stop(self) -> None:
        if self.process is not None:
            _terminate(self.process)


def process_env(env: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment of a process started from the repository."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "SQLALCHEMY_SILENCE_UBER_WARNING": "1", **(env or {})}


def actions_command(port: int) -> List[str]:
    return [sys.executable, "-m", "actions.server", "--port", str(port)]


def rasa_command(model: Path, port: int, endpoints: Path, enable_api: bool = False) -> List[str]:
    return [
        sys.executable, "-m", "nlu.server.serve", "--interface", "127.0.0.1", "--port", str(port),
        "--model", str(model), "--endpoints", str(endpoints),
        "--credentials", str(ROOT / "credentials.yml"),
    ] + (["--enable-api"] if enable_api else [])


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


LOWEST_PORT = 10000


def free_port(pair: bool = False) -> int:
    """A port nothing listens on, on loopback; with `pair`, the next one is free too.

    Picked below the kernel's ephemeral range (ip_local_port_range), where the kernel never puts
    an outgoing connection: a port from that range (bind to port 0) can be handed to any process's
    next outgoing connection before the server we start binds it, which under load happens."""
    top = _ephemeral_low() - 2
    pick = random.SystemRandom()
    for _ in range(500):
        port = pick.randint(LOWEST_PORT, top) if top > LOWEST_PORT else _any_port()
        if _bindable(port) and (not pair or _bindable(port + 1)):
            return port
    raise StackError("no free port on 127.0.0.1")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _any_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_stack(
    model: Path,
    rasa_port: int = 5005,
    actions_port: int = 5055,
    log_dir: Optional[Path] = None,
    enable_api: bool = False,
    env: Optional[Dict[str, str]] = None,
    timeout: float = 180.0,
) -> Iterator[Stack]:
    """Both servers up and answering, stopped (with their children) on exit."""
    for port in (rasa_port, actions_port):
        if not port_is_free(port):
            raise StackError(f"port {port} on 127.0.0.1 is already in use (another assistant running?)")
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="assistant-logs-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    environment = process_env(env)
    stack = Stack(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{actions_port}", log_dir,
                  actions_command=actions_command(actions_port), env=environment)
    with stopped_by_signals():
        try:
            stack.processes.append(_spawn(stack.actions_command, log_dir / "actions.log", environment))
            _wait_ready(stack.processes[-1], f"{stack.actions_url}/health", log_dir / "actions.log", timeout)
            endpoints = _endpoints_file(log_dir, actions_port)
            command = rasa_command(model, rasa_port, endpoints, enable_api)
            stack.processes.append(_spawn(command, log_dir / "rasa.log", environment))
            _wait_ready(stack.processes[-1], f"{stack.rasa_url}/", log_dir / "rasa.log", timeout)
            yield stack
        finally:
            stack.stop()


def _endpoints_file(log_dir: Path, actions_port: int, name: str = "endpoints.yml", extra: str = "") -> Path:
    """Rasa's endpoints: its action server, and `extra` YAML sections (the cluster's lock store)."""
    path = log_dir / name
    store = "tracker_store:\n  type: nlu.server.private_store.PrivateTrackerStore\n"  # TRACKER_STORE_URL picks the backend
    path.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n' + store + extra, encoding="utf-8")
    return path


def _spawn(command: List[str], log: Path, env: Dict[str, str]) -> subprocess.Popen:
    """`command` with its output appended to `log`, created readable by this account only (logs
    are masked, but hold sender ids and what graduates asked)."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)  # a log left by an earlier run too
    with os.fdopen(fd, "ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _command(process: subprocess.Popen) -> str:
    """The start of a process's command line, for a message."""
    args = process.args
    return " ".join(map(str, args[:4])) if isinstance(args, (list, tuple)) else str(args)


def _wait_ready(process: subprocess.Popen, url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{_command(process)} exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise StackError(f"{url} not ready after {timeout:.0f} s:\n{_tail(log)}")


def _wait_for_line(process: subprocess.Popen, line: str, log: Path, offset: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{_command(process)} exited with {process.returncode}:\n{_tail(log)}")
        with log.open("rb") as handle:
            handle.seek(offset)
            if line.encode() in handle.read():
                return
        time.sleep(0.1)
    raise StackError(f"{log.name}: {line!r} not logged after {timeout:.0f} s:\n{_tail(log)}")


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@contextmanager
def running_service(
    module: str,
    port: int,
    log_dir: Path,
    env: Optional[Dict[str, str]] = None,
    timeout: float = 60.0,
) -> Iterator[subprocess.Popen]:
    """`python -m <module>` serving on 127.0.0.1:`port` (its /health/live answering: up, even
    while a dependency is down), stopped on exit.
    Its log is <log_dir>/<last part of the module>-<port>.log."""
    if not port_is_free(port):
        raise StackError(f"port {port} on 127.0.0.1 is already in use")
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{module.rsplit('.', 1)[-1]}-{port}.log"
    with stopped_by_signals():
        process = _spawn([sys.executable, "-m", module], log, process_env(env))
        try:
            _wait_ready(process, f"http://127.0.0.1:{port}/health/live", log, timeout)
            yield process
        finally:
            _terminate(process)


def running_gateway(
    rasa_url: str,
    port: int,
    log_dir: Path,
    env: Optional[Dict[str, str]] = None,
    timeout: float = 60.0,
) -> "contextlib.AbstractContextManager[subprocess.Popen]":
    """The gateway (python -m bot.gateway) on 127.0.0.1:`port` in front of `rasa_url`, stopped on
    exit. `env` carries the channel settings (WECHAT_*, TELEGRAM_*, REDIS_URL …)."""
    return running_service("bot.gateway", port, log_dir, {"RASA_URL": rasa_url, "GATEWAY_PORT": str(port), **(env or {})}, timeout)
