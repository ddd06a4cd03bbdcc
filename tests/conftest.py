"""Session fixtures: the trained model, and the real action server + Rasa server running it.

`make test` trains the model first (only when training data or config changed); the stack is
started once per test session on free loopback ports and shared by every conversation test.
"""
from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any, Dict, Iterator, List

import httpx
import pytest

from bot.stack import Stack, running_stack

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "current.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
