"""The internal listener (runtime/health.py): /metrics, /health and /health/live on a port of its
own, inside a process that keeps its signal handling; a port already taken is an error the
process sees, not an exit."""
from __future__ import annotations

import asyncio
import signal
import socket
from typing import Dict, Tuple

import httpx
import pytest

from devstack.stack import free_port
from runtime.health import Listener, MetricsListener
from runtime.metrics import MEDIA_TYPE


async def _metrics() -> str:
    return "answered_total 1\n"


async def _health() -> Tuple[int, Dict[str, str]]:
    return 503, {"status": "unavailable", "database": "down"}


def test_it_answers_what_is_asked_and_nothing_else() -> None:
    listener = Listener("127.0.0.1", free_port())
    handler = signal.getsignal(signal.SIGTERM)

    async def scenario() -> None:
        async with MetricsListener(listener, _metrics, _health).running():
            assert signal.getsignal(signal.SIGTERM) is handler  # uvicorn took no signal over
            async with httpx.AsyncClient(base_url=f"http://{listener.host}:{listener.port}") as client:
                metrics = await client.get("/metrics")
                assert metrics.status_code == 200 and metrics.text == "answered_total 1\n"
                assert metrics.headers["content-type"].startswith(MEDIA_TYPE.split(";")[0])
                health = await client.get("/health")
                assert (health.status_code, health.json()) == (503, {"status": "unavailable", "database": "down"})
                assert (await client.get("/health/live")).json() == {"status": "ok"}
                assert (await client.post("/metrics")).status_code == 405
                assert (await client.get("/elsewhere")).status_code == 404

    asyncio.run(scenario())


def test_a_taken_port_is_an_error_not_an_exit() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listener = Listener("127.0.0.1", taken.getsockname()[1])

        async def scenario() -> None:
            async with MetricsListener(listener, _metrics, _health).running():
                pass  # pragma: no cover

        with pytest.raises(OSError, match="cannot listen"):
            asyncio.run(scenario())
