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
It speaks just enough HTTP/1.1 for Prometheus, curl and health checkers: one request per
connection, request line and headers up to 8 KiB, no body.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Mapping, Optional, Tuple

from sqlalchemy import text
from sqlalchemy.engine import Engine

from runtime.metrics import MEDIA_TYPE

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 1.5
Probe = Callable[[], Awaitable[Any]]
REQUEST_LIMIT = 8 * 1024
READ_TIMEOUT = 5.0


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

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        server = await asyncio.start_server(self._serve, self.listener.host, self.listener.port,
                                            limit=REQUEST_LIMIT)
        log.info("metrics and health on http://%s:%d/metrics", self.listener.host, self.listener.port)
        try:
            yield
        finally:
            server.close()
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
            status, media, body = await self._answer(head.split(b"\r\n", 1)[0])
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ConnectionError):
            status, media, body = 400, "text/plain; charset=utf-8", "bad request\n"
        except Exception:  # a metric that cannot be read: say so, keep serving
            log.exception("metrics listener: answering failed")
            status, media, body = 500, "text/plain; charset=utf-8", "error\n"
        with contextlib.suppress(ConnectionError):
            writer.write(_response(status, media, body.encode("utf-8")))
            await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    async def _answer(self, request_line: bytes) -> Tuple[int, str, str]:
        parts = request_line.decode("latin-1").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return 400, "text/plain; charset=utf-8", "bad request\n"
        method, path = parts[0], parts[1].split("?", 1)[0]
        if method != "GET":
            return 405, "text/plain; charset=utf-8", "method not allowed\n"
        if path == "/metrics":
            return 200, MEDIA_TYPE, await self.metrics()
        if path == "/health":
            status, body = await self.health()
            return status, "application/json", json.dumps(body)
        if path == "/health/live":
            return 200, "application/json", json.dumps({"status": "ok"})
        return 404, "text/plain; charset=utf-8", "not found\n"


REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error",
           503: "Service Unavailable"}


def _response(status: int, media: str, body: bytes) -> bytes:
    head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\nContent-Type: {media}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode("latin-1") + body
