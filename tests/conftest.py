"""Session fixtures: the trained model, and the real action server + Rasa server running it.

`make test` trains the model first (only when training data or config changed); the stack is
started once per test session on free loopback ports and shared by every conversation test.
"""
from __future__ import annotations

import base64
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import httpx
import pytest

from db.crypto import new_key
from devstack.stack import Stack, free_port, running_stack  # noqa: F401 - free_port: the tests take it from here
from tests.databases import postgres_database

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "current.tar.gz"


# Every process the tests start (and the tests themselves) use a ledger of their own: SQLite in a
# temporary directory unless a test says otherwise, with keys made for this run.
_LEDGER_DIR = tempfile.mkdtemp(prefix="ledger-tests-")
TEST_LEDGER_ENV = {
    "DATABASE_URL": f"sqlite:///{_LEDGER_DIR}/ledger.sqlite3",
    "LEDGER_KEYS": new_key().decode(),
    "LEDGER_HASH_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
}
os.environ.update(TEST_LEDGER_ENV)
# Gateways started by tests run no push worker unless a test asks for one (several gateways share
# the session's ledger, and a worker without that test's channels would claim its broadcasts).
os.environ["PUSH_IN_GATEWAY"] = "off"


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_LEDGER_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def model() -> Path:
    if not MODEL.is_file():
        pytest.fail(f"{MODEL} is missing: run `make test`, which trains it before running pytest")
    return MODEL


@pytest.fixture(scope="session")
def stack_kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The running stack answers from a copy of the knowledge base that tests may edit."""
    target = tmp_path_factory.mktemp("kb") / "data"
    shutil.copytree(ROOT / "policy_kb" / "data", target)
    return target


@pytest.fixture(scope="session")
def stack(model: Path, stack_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("stack-logs")
    with running_stack(model, free_port(), free_port(), logs, enable_api=True, env={"POLICY_KB_DIR": str(stack_kb_dir)}) as running:
        yield running


@pytest.fixture(scope="session")
def pg_stack(model: Path, stack_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[Stack, str]]:
    """A second stack whose ledger is a database of its own on the real PostgreSQL server."""
    logs = tmp_path_factory.mktemp("pg-stack-logs")
    with postgres_database("stack") as url:
        env = {"POLICY_KB_DIR": str(stack_kb_dir), "DATABASE_URL": url}
        with running_stack(model, free_port(), free_port(), logs, enable_api=True, env=env) as running:
            yield running, url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def ledger_stack(request: pytest.FixtureRequest) -> Tuple[Stack, str]:
    """The stack with its ledger's database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("stack"), TEST_LEDGER_ENV["DATABASE_URL"]
    result: Tuple[Stack, str] = request.getfixturevalue("pg_stack")
    return result


class Conversation:
    """One graduate talking to the real Rasa server through its REST channel."""

    def __init__(self, stack: Stack, sender: str) -> None:
        self.stack = stack
        self.sender = sender
        self.http = httpx.Client(base_url=stack.rasa_url, timeout=30.0)

    def say(self, text: str) -> List[Dict[str, Any]]:
        response = self.http.post("/webhooks/rest/webhook", json={"sender": self.sender, "message": text})
        assert response.status_code == 200, response.text
        return list(response.json())

    def text(self, text: str) -> str:
        return "\n".join(m.get("text", "") for m in self.say(text))

    def buttons(self, messages: List[Dict[str, Any]]) -> List[str]:
        return [b["title"] for m in messages for b in m.get("buttons") or []]

    def slot(self, name: str) -> Any:
        tracker = self.http.get(f"/conversations/{self.sender}/tracker").json()
        return tracker["slots"].get(name)

    def intent(self) -> str:
        tracker = self.http.get(f"/conversations/{self.sender}/tracker").json()
        return tracker["latest_message"]["intent"]["name"]


@pytest.fixture
def conversation(stack: Stack, request: pytest.FixtureRequest) -> Iterator[Conversation]:
    talk = Conversation(stack, f"test:{request.node.name}")
    yield talk
    talk.http.close()
