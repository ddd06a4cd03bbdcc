"""Two stacks whose Rasa keeps its conversations through nlu.server.private_store.PrivateTrackerStore:
one on Redis (a database number of its own), one on a throwaway PostgreSQL database; the first
also logs JSON lines (LOG_FORMAT=json). Both share the session's ledger (tests/conftest.py)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Tuple

import pytest
import redis

from devstack.stack import Stack, running_stack
from tests.conftest import free_port
from tests.databases import postgres_database

REDIS_URL = os.environ.get("TEST_REDIS_URL_PRIVACY", "redis://127.0.0.1:6379/12")
EXPIRE_SECONDS = 3600


def _delete_trackers(client: "redis.Redis[bytes]") -> None:
    for key in client.scan_iter(match="rasa:tracker:*"):
        client.delete(key)


@pytest.fixture(scope="session")
def redis_client() -> Iterator["redis.Redis[bytes]"]:
    client: "redis.Redis[bytes]" = redis.Redis.from_url(REDIS_URL)
    _delete_trackers(client)
    yield client
    _delete_trackers(client)
    client.close()


@pytest.fixture(scope="session")
def redis_stack(model: Path, stack_kb_dir: Path, redis_client: "redis.Redis[bytes]",
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {"POLICY_KB_DIR": str(stack_kb_dir), "TRACKER_STORE_URL": REDIS_URL,
           "TRACKER_EXPIRE_SECONDS": str(EXPIRE_SECONDS), "LOG_FORMAT": "json"}
    with running_stack(model, free_port(), free_port(), tmp_path_factory.mktemp("redis-stack-logs"),
                       enable_api=True, env=env) as running:
        yield running


@pytest.fixture(scope="session")
def sql_stack(model: Path, stack_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[Stack, str]]:
    """The stack and its tracker database's URL."""
    with postgres_database("trackers") as url:
        env = {"POLICY_KB_DIR": str(stack_kb_dir), "TRACKER_STORE_URL": url, "TRACKER_EXPIRE_SECONDS": str(EXPIRE_SECONDS)}
        with running_stack(model, free_port(), free_port(), tmp_path_factory.mktemp("sql-stack-logs"),
                           enable_api=True, env=env) as running:
            yield running, url
