"""Stopping the runners the way a service manager, `kill` or a closed terminal does: SIGTERM or
SIGHUP stops every process they started, as Ctrl-C does, and frees the ports, so the next
`make run` can start. Without a terminal `make run` serves until stopped instead of reading the
end of its input.

Each runner's processes are found by walking /proc from the runner down (they run in sessions
of their own, so no process-group signal reaches them unless the runner passes it on)."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import pytest

from devstack.stack import ROOT, port_is_free, process_env
from tests.conftest import free_port
from tests.databases import postgres_database

STOP_WITHIN = 60.0  # seconds from the signal until every process is gone
REDIS_URL = os.environ.get("TEST_REDIS_URL_CLUSTER", "redis://127.0.0.1:6379/13")
NO_TERMINAL = "没有终端"


@dataclass(frozen=True)
class Proc:
    pid: int
    started: str  # /proc/<pid>/stat's start time: a pid used again is another process
    command: str

    def alive(self) -> bool:
        stat = _stat(self.pid)
        return stat is not None and stat[19] == self.started and stat[0] != "Z"


def _stat(pid: int) -> Optional[List[str]]:
    """/proc/<pid>/stat after the command name: state, ppid, … (None: no such process)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def descendants(root: int) -> List[Proc]:
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        stat = _stat(int(entry.name)) if entry.name.isdigit() else None
        if stat is not None:
            children.setdefault(int(stat[1]), []).append(int(entry.name))
    found: List[Proc] = []
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        stat = _stat(pid)
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if stat is not None:
            found.append(Proc(pid, stat[19], command))
            todo.extend(children.get(pid, []))
    return found


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.25)


def assert_all_stopped(runner: subprocess.Popen, processes: List[Proc], ports: Sequence[int]) -> None:
    """The runner exits and every process it started is gone within STOP_WITHIN; the ports are free."""
    deadline = time.monotonic() + STOP_WITHIN
    while time.monotonic() < deadline and (runner.poll() is None or any(p.alive() for p in processes)):
        time.sleep(0.25)
    left = [p.command[:100] for p in processes if p.alive()]
    assert runner.poll() is not None and not left, (
        f"{STOP_WITHIN:.0f} s after the signal: runner exit status {runner.poll()}, still running: {left}")
    wait_for(lambda: all(port_is_free(port) for port in ports), 5, f"ports {list(ports)} free")


class Started:
    """The runners a test started and the processes seen under them: whatever is left when the test
    ends (it failed) is killed, by pid, nothing else."""

    def __init__(self) -> None:
        self.runners: List[subprocess.Popen] = []
        self.processes: List[Proc] = []

    def runner(self, command: List[str], **options: Any) -> subprocess.Popen:
        runner = subprocess.Popen(command, cwd=ROOT, **options)
        self.runners.append(runner)
        return runner

    def running(self, runner: subprocess.Popen, modules: Sequence[str]) -> List[Proc]:
        """`runner`'s processes once one runs each of `modules`."""
        def started() -> bool:
            assert runner.poll() is None, f"the runner exited with {runner.returncode}"
            commands = " | ".join(p.command for p in descendants(runner.pid))
            return all(f"-m {module} " in commands for module in modules)
        wait_for(started, 240, f"{', '.join(modules)} started")
        processes = descendants(runner.pid)
        self.processes.extend(processes)
        return processes

    def kill_what_is_left(self) -> None:
        for process in self.processes:
            if process.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGKILL)
        for runner in self.runners:
            if runner.poll() is None:
                runner.kill()
            runner.wait()


@pytest.fixture
def started() -> Iterator[Started]:
    launched = Started()
    try:
        yield launched
    finally:
        launched.kill_what_is_left()


def output(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


# ------------------------------------------------------------------ stopped while starting: quick


@pytest.mark.stack
def test_the_test_stack_stops_its_servers_on_sigterm(model: Path, tmp_path: Path, started: Started) -> None:
    """A test run holding the stack (devstack.stack.running_stack) stopped by SIGTERM while Rasa loads."""
    rasa_port, actions_port = free_port(), free_port()
    script = ("import sys, time; from pathlib import Path; from devstack.stack import running_stack\n"
              "with running_stack(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])):\n"
              "    time.sleep(600)\n")
    runner = started.runner([sys.executable, "-c", script, str(model), str(rasa_port), str(actions_port),
                             str(tmp_path / "logs")], env=process_env(), stdin=subprocess.DEVNULL)
    processes = started.running(runner, ["actions.server", "nlu.server.serve"])
    runner.send_signal(signal.SIGTERM)
    assert_all_stopped(runner, processes, [rasa_port, actions_port])


@pytest.mark.stack
def test_make_run_cluster_stops_its_processes_on_sigterm(model: Path, tmp_path: Path, started: Started) -> None:
    """devstack.cluster (make run-cluster) stopped by SIGTERM while its Rasa server loads."""
    rasa_port, actions_port, gateway_port = free_port(), free_port(), free_port()
    with postgres_database("signals") as url:
        runner = started.runner(
            [sys.executable, "-m", "devstack.cluster", "--replicas", "1", "--model", str(model), "--logs", str(tmp_path / "logs"),
             "--rasa-port", str(rasa_port), "--actions-port", str(actions_port), "--gateway-port", str(gateway_port)],
            env=process_env({"DATABASE_URL": url, "REDIS_URL": REDIS_URL}), stdin=subprocess.DEVNULL)
        processes = started.running(runner, ["actions.server", "nlu.server.serve"])
        runner.send_signal(signal.SIGTERM)
        assert_all_stopped(runner, processes, [rasa_port, actions_port])


# ------------------------------------------------------------------ make run, started in full


def _local_args(ports: Dict[str, int], logs: Path) -> List[str]:
    return ["--rasa-port", str(ports["rasa"]), "--actions-port", str(ports["actions"]),
            "--console-port", str(ports["console"]), "--logs", str(logs)]


def _ports() -> Dict[str, int]:
    ports: Dict[str, int] = {}
    for name in ("rasa", "actions", "gateway", "console"):
        port = free_port()
        while port in ports.values():
            port = free_port()
        ports[name] = port
    return ports


EVERY_PROCESS = ["actions.server", "nlu.server.serve", "bot.gateway", "console"]


@pytest.mark.stack
def test_make_run_stopped_with_sigterm_leaves_no_process_and_frees_its_ports(
        model: Path, tmp_path: Path, started: Started) -> None:
    """`kill <make's pid>` (what a service manager does): make passes SIGTERM to devstack.local, which
    stops all it started. stdin is a pipe that stays open: no terminal, and no end of input."""
    ports, out = _ports(), tmp_path / "out.txt"
    with out.open("wb") as sink:
        runner = started.runner(["make", "--no-print-directory", "-o", str(model.relative_to(ROOT)), "run",
                                 f"RUN_ARGS={' '.join(_local_args(ports, tmp_path / 'logs'))}"],
                                env=process_env({"GATEWAY_PORT": str(ports["gateway"])}),
                                stdin=subprocess.PIPE, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    wait_for(lambda: "Staff console:" in output(out) or runner.poll() is not None, 300, "make run started")
    assert runner.poll() is None, output(out)
    processes = started.running(runner, EVERY_PROCESS)
    runner.send_signal(signal.SIGTERM)
    assert_all_stopped(runner, processes, list(ports.values()))
    assert runner.stdin is not None
    runner.stdin.close()


@pytest.mark.stack
def test_make_run_without_a_terminal_serves_until_stopped_then_a_hangup_stops_everything(
        model: Path, tmp_path: Path, started: Started) -> None:
    """`nohup make run &` or a service manager: stdin is not a terminal (here /dev/null, read as
    end of input at once). It says so once and serves; the terminal's hangup (SIGHUP to the whole
    process group) stops everything."""
    ports, out = _ports(), tmp_path / "out.txt"
    with out.open("wb") as sink:
        runner = started.runner([sys.executable, "-m", "devstack.local", *_local_args(ports, tmp_path / "logs")],
                                env=process_env({"GATEWAY_PORT": str(ports["gateway"])}),
                                stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    wait_for(lambda: NO_TERMINAL in output(out) or runner.poll() is not None, 300, "the no-terminal line")
    time.sleep(3)
    assert runner.poll() is None, f"exited without a terminal:\n{output(out)}"
    assert output(out).count(NO_TERMINAL) == 1 and "你>" not in output(out)
    assert not port_is_free(ports["gateway"]) and not port_is_free(ports["rasa"])
    processes = started.running(runner, EVERY_PROCESS)
    os.killpg(runner.pid, signal.SIGHUP)
    assert_all_stopped(runner, processes, list(ports.values()))
    assert output(out).rstrip().endswith("Stopped.")
