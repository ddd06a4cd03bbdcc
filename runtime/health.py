"""Health checks and the small internal HTTP listener for /metrics and /health.

Every service answers:
- GET /health/live   200 while the process serves at all (what a process runner waits for);
- GET /health        200 when every dependency answered within PROBE_TIMEOUT, else 503, with
                     {"status": "ok" | "unavailable", "<dependency>": "up" | "down", …}.

A probe is an async function that returns when the dependency answered and raises (or takes too
long) when it did not; probes run concurrently, so /health takes at most PROBE_TIMEOUT seconds.

`MetricsListener` serves GET /metrics, /health and /health/live on a port of its own, read from
`<PREFIX>_PORT` / `<PREFIX>_HOST` (unset port = off; host defaults to 127.0.0.1): the push worker
has no other HTTP server, and the gateway keeps /metrics off its public port (docs/observability.md).
It is a small Starlette app under uvicorn, inside the process it reports on: uvicorn leaves that
process's logging and signal handling alone.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Iterator, Mapping, Optional, Tuple

import uvicorn
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from runtime.metrics import MEDIA_TYPE

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 1.5
Probe = Callable[[], Awaitable[Any]]


class ListenerConfigError(ValueError):
    """A metrics-listener setting is malformed; the message names the variable."""


@dataclass(frozen=True)
class Listener:
    host: str
    port: int


def listener_from_env(prefix: str, env: Optional[Mapping[str, str]] = None) -> Optional[Listener]:
    """`<prefix>_PORT` (absent or empty: no listener) and `<prefix>_HOST` (127.0.0.1)."""
    env = os.environ if env is None else env
    raw = env.get(f"{prefix}_PORT") or ""
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ListenerConfigError(f"{prefix}_PORT: expected a port number 1–65535, got {raw!r}")
    return Listener(env.get(f"{prefix}_HOST") or "127.0.0.1", int(raw))


async def check(probes: Mapping[str, Probe], timeout: float = PROBE_TIMEOUT) -> Tuple[int, Dict[str, str]]:
    """(200 or 503, {"status", and "up"/"down" per dependency}), all probes at once."""
    names = list(probes)
    results = await asyncio.gather(*(asyncio.wait_for(probes[name](), timeout) for name in names),
                                   return_exceptions=True)
    states = {name: "down" if isinstance(result, BaseException) or result is False else "up"
              for name, result in zip(names, results)}
    for name, result in zip(names, results):
        if isinstance(result, BaseException):
            log.warning("health: %s is down (%s)", name, type(result).__name__)
    healthy = all(state == "up" for state in states.values())
    return (200 if healthy else 503), {"status": "ok" if healthy else "unavailable", **states}


def database_probe(engine: Engine, run: Callable[..., Awaitable[Any]]) -> Probe:
    """SELECT 1 on `engine`, run through `run(function)` (a thread pool: the call blocks)."""

    def select_one() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    async def probe() -> None:
        await run(select_one)

    return probe


async def in_thread(function: Callable[[], Any]) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, function)


class MetricsListener:
    """GET /metrics, /health and /health/live on an internal port (see the module docstring)."""

    def __init__(self, listener: Listener, metrics: Callable[[], Awaitable[str]],
                 health: Callable[[], Awaitable[Tuple[int, Dict[str, str]]]]) -> None:
        self.listener = listener
        self.metrics = metrics
        self.health = health

    def app(self) -> Starlette:
        async def metrics(request: Request) -> Response:
            return PlainTextResponse(await self.metrics(), media_type=MEDIA_TYPE)

        async def health(request: Request) -> Response:
            status, body = await self.health()
            return JSONResponse(body, status_code=status)

        async def live(request: Request) -> Response:
            return JSONResponse({"status": "ok"})

        return Starlette(routes=[Route("/metrics", metrics, methods=["GET"]), Route("/health", health, methods=["GET"]),
                                 Route("/health/live", live, methods=["GET"])])

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        config = uvicorn.Config(self.app(), host=self.listener.host, port=self.listener.port, log_config=None,
                                access_log=False, lifespan="off", ws="none", log_level="warning")
        server = _Embedded(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():  # uvicorn exits when it cannot listen
                raise OSError(f"metrics listener: cannot listen on {self.listener.host}:{self.listener.port}")
            await asyncio.sleep(0.01)
        log.info("metrics and health on http://%s:%d/metrics", self.listener.host, self.listener.port)
        try:
            yield
        finally:
            server.should_exit = True
            await serving


class _Embedded(uvicorn.Server):
    """uvicorn inside another process: the process's own signal handlers stay in charge, and a
    port it cannot take is an error of the listener, not an exit of the process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: Optional[list] = None) -> None:
        try:
            await super().startup(sockets)
        except SystemExit:  # uvicorn's answer to a port in use
            self.should_exit = True
