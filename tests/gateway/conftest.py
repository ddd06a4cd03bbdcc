"""Gateway fixtures: the gateway process in front of the session's real Rasa stack."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterator

import pytest

from devstack.stack import Stack, running_gateway
from tests.conftest import free_port


class Gateway:
    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log


def start_gateway(stack: Stack, log_dir: Path, env: Dict[str, str]):  # type: ignore[no-untyped-def]
    """Context manager: a gateway with `env` (channel settings) in front of `stack`'s Rasa."""
    return running_gateway(stack.rasa_url, free_port(), log_dir, env)


@pytest.fixture(scope="session")
def web_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway with only the web chat on."""
    logs = tmp_path_factory.mktemp("gateway-web")
    port = free_port()
    with running_gateway(stack.rasa_url, port, logs, {"WEB_CHAT": "on", "WECHAT_TOKEN": "", "TELEGRAM_BOT_TOKEN": ""}):
        yield f"http://127.0.0.1:{port}"
