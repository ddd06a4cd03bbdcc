"""scripts/test-setup, what `make test` runs first: on a machine without Chromium, chromedriver,
PostgreSQL or Redis it installs them as root with apt-get and starts the servers, and otherwise
stops with one line naming the command to run.

No container: the script runs on a PATH of stubs. `id` says who we are, `apt-get` "installs" a
package by linking its stub commands in, `service` "starts" a server by leaving a file that
`redis-cli`, `pg_isready` and `psql` then answer to; real `ln`, `sed` and `sleep` only."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "scripts" / "test-setup"
BASH = shutil.which("bash") or "/bin/bash"
REAL_TOOLS = ("ln", "sed", "sleep")
PACKAGES = ["chromium", "chromium-driver", "redis-server", "postgresql"]

# What each stub does; $STATE is where the machine's state is kept.
STUBS: Dict[str, str] = {
    "id": 'echo "$STUB_UID"',
    "apt-get": 'echo "$*" >> "$STATE/apt.log"\n'
               '[ "$1" = install ] || exit 0\n'
               'for p in "$@"; do [ -d "$STATE/packages/$p" ] || continue\n'
               '  for f in "$STATE/packages/$p"/bin/*; do ln -s "$f" "$STATE/bin/"; done\n'
               '  [ -d "$STATE/packages/$p/lib" ] && ln -s "$STATE/packages/$p/lib" "$STATE/lib/15"; done; true',
    "service": 'echo "$*" >> "$STATE/service.log"; [ "$2" = start ] && : > "$STATE/$1.running"',
    "runuser": 'while [ "$1" != -- ]; do shift; done; shift; exec "$@"',
}
PACKAGE_STUBS: Dict[str, Dict[str, str]] = {
    "chromium": {"bin/chromium": "true"},
    "chromium-driver": {"bin/chromedriver": "true"},
    "redis-server": {"bin/redis-server": "true",
                     "bin/redis-cli": '[ -e "$STATE/redis-server.running" ] && echo PONG || exit 1'},
    "postgresql": {
        "lib/bin/pg_ctl": "true", "lib/bin/initdb": "true", "lib/bin/postgres": "true",
        "bin/pg_isready": '[ -e "$STATE/postgresql.running" ] || exit 2',
        "bin/psql": 'case "$*" in\n'
                    '  *hba_file*) echo "$STATE/pg_hba.conf" ;;\n'
                    '  *pg_reload_conf*) : > "$STATE/reloaded" ;;\n'
                    '  *) [ -e "$STATE/postgresql.running" ] && { [ -e "$STATE/reloaded" ] || [ -e "$STATE/trust" ]; } || exit 2 ;;\n'
                    'esac'},
}


@dataclass
class Machine:
    state: Path

    def run(self, uid: int = 0, **env: str) -> subprocess.CompletedProcess:
        environment = {"PATH": f"{self.state / 'bin'}:{self.state / 'base'}", "STATE": str(self.state),
                       "STUB_UID": str(uid), "PG_LIB": str(self.state / "lib"), "LINK_DIR": str(self.state / "bin"),
                       "TEST_SETUP_WAIT": "2", **env}
        return subprocess.run([BASH, str(SCRIPT)], env=environment, capture_output=True, text=True, timeout=60)

    def install(self, *packages: str) -> None:
        for package in packages:
            subprocess.run([BASH, "-c", f'"$STATE/bin/apt-get" install {package}'], env={"STATE": str(self.state),
                           "PATH": str(self.state / "base")}, check=True)
        (self.state / "apt.log").unlink()

    def start(self, *services: str) -> None:
        for service in services:
            (self.state / f"{service}.running").touch()

    def log(self, name: str) -> List[str]:
        path = self.state / f"{name}.log"
        return path.read_text().splitlines() if path.exists() else []


def _write_stub(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    """A machine with nothing installed, apt-get and service present."""
    (tmp_path / "base").mkdir()
    (tmp_path / "lib").mkdir()
    for tool in REAL_TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (tmp_path / "base" / tool).symlink_to(found)
    for name, body in STUBS.items():
        _write_stub(tmp_path / "bin" / name, body)
    for package, files in PACKAGE_STUBS.items():
        for relative, body in files.items():
            _write_stub(tmp_path / "packages" / package / relative, body)
    (tmp_path / "pg_hba.conf").write_text("host all all 127.0.0.1/32 scram-sha-256\n")
    return Machine(tmp_path)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_fresh_machine_without_root_is_told_the_one_command_to_run(machine: Machine) -> None:
    line = one_line(machine.run(uid=1000))
    assert line == ("make test: the tests need chromium chromium-driver redis-server postgresql: "
                    "run 'sudo apt-get install chromium chromium-driver redis-server postgresql'")
    assert machine.log("apt") == []


def test_without_apt_get_it_names_what_to_install(machine: Machine) -> None:
    (machine.state / "bin" / "apt-get").unlink()
    line = one_line(machine.run(uid=0))
    assert line.startswith("make test: the tests need chromium chromium-driver redis-server postgresql")


def test_as_root_it_installs_links_starts_and_allows_the_tests_login_then_has_nothing_to_do(machine: Machine) -> None:
    result = machine.run(uid=0)
    assert result.returncode == 0, result
    assert machine.log("apt") == ["update -qq", "install -y -qq " + " ".join(PACKAGES)]
    for tool in ("initdb", "pg_ctl", "postgres"):
        assert (machine.state / "bin" / tool).resolve() == (machine.state / "packages/postgresql/lib/bin" / tool).resolve()
    assert machine.log("service") == ["redis-server start", "postgresql start"]
    assert (machine.state / "pg_hba.conf").read_text().splitlines()[0] == "host all postgres 127.0.0.1/32 trust"

    again = machine.run(uid=0)
    assert again.returncode == 0 and again.stdout == again.stderr == "", again
    assert len(machine.log("apt")) == 2 and len(machine.log("service")) == 2


def test_installed_but_stopped_servers_without_root_name_the_command_that_starts_them(machine: Machine) -> None:
    machine.install(*PACKAGES)
    (machine.state / "trust").touch()
    for tool in ("initdb", "pg_ctl"):
        (machine.state / "bin" / tool).symlink_to(machine.state / "packages/postgresql/lib/bin" / tool)
    assert one_line(machine.run(uid=1000)).endswith("run 'sudo service redis-server start'")
    machine.start("redis-server")
    assert one_line(machine.run(uid=1000)).endswith("run 'sudo service postgresql start'")
    machine.start("postgresql")
    assert machine.run(uid=1000).returncode == 0
    assert machine.log("service") == []


def test_debian_postgresql_off_the_path_without_root_names_the_links_to_make(machine: Machine) -> None:
    machine.install(*PACKAGES)
    bin_dir = machine.state / "lib" / "15" / "bin"
    assert one_line(machine.run(uid=1000)) == (
        f"make test: initdb and pg_ctl are in {bin_dir}, not on the PATH: "
        f"run 'sudo ln -s {bin_dir}/initdb {bin_dir}/pg_ctl {bin_dir}/postgres {machine.state / 'bin'}/'")


def test_a_postgresql_it_did_not_install_is_not_reconfigured_when_it_refuses_the_login(machine: Machine) -> None:
    machine.install(*PACKAGES)
    machine.start("redis-server", "postgresql")
    line = one_line(machine.run(uid=0))
    assert "refuses the tests' login: set TEST_POSTGRES_URL=" in line
    assert (machine.state / "pg_hba.conf").read_text() == "host all all 127.0.0.1/32 scram-sha-256\n"


def test_make_test_sets_up_first() -> None:
    """The set-up runs before the (slow) model training: a missing browser stops `make test` at once."""
    result = subprocess.run(["make", "--no-print-directory", "-n", "-o", "models/current.tar.gz", "-o", "nlu/generated/.exported", "test"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "scripts/test-setup"
