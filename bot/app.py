"""The gateway application: the channels that are on (channels/), health endpoints, metrics on an
internal port, one shared store, the journal of turns acknowledged but not answered yet
(gateway/journal.py), one Rasa client and, without Redis, a companion sharing the process (the push
worker, push/embedded.py). `python -m bot.gateway` serves it (uvicorn)."""
from __future__ import annotations

import contextlib
import logging
from typing import AsyncContextManager, AsyncIterator, Dict, FrozenSet, List, Optional, Protocol, Tuple

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.gateway.assistant import Assistant
from bot.gateway.choices import Choices
from bot.gateway.config import GatewaySettings
from bot.gateway.http import SecurityHeaders
from bot.gateway.journal import Journal, make_journal
from bot.gateway.stores import Store, make_store
from runtime.health import Listener, MetricsListener, Probe, check
from runtime.metrics import GATEWAY, GATEWAY_RESPONSES, Registry, render

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    def routes(self) -> List[BaseRoute]:
        ...

    async def startup(self) -> None:
        ...

    async def shutdown(self) -> None:
        ...


class Companion(Protocol):
    """A service run inside the gateway process on its store, started and stopped with the app:
    the push worker of the embedded default (push/embedded.py)."""

    def running(self, store: Store) -> AsyncContextManager[None]:
        ...

    async def registries(self) -> Tuple[Registry, ...]:
        """Its metrics, refreshed, served beside the gateway's."""
        ...

    def probes(self) -> Dict[str, Probe]:
        """Its checks, added to /health."""
        ...


def build_channels(settings: GatewaySettings, assistant: Assistant, store: Store, journal: Journal) -> List[Channel]:
    channels: List[Channel] = []
    choices = Choices(store)
    if settings.wechat is not None:
        from bot.channels.wechat.channel import WeChatChannel

        channels.append(WeChatChannel(settings.wechat, assistant, store, choices, journal, settings.reply_deadline))
    if settings.telegram is not None:
        from bot.channels.telegram.channel import TelegramChannel

        channels.append(TelegramChannel(settings.telegram, assistant, store, journal))
    if settings.web:
        from bot.channels.web.channel import WebChannel

        channels.append(WebChannel(assistant, choices, store, settings.web_session_limit, settings.web_address_limit))
    return channels


def create_app(settings: GatewaySettings, assistant: Optional[Assistant] = None, store: Optional[Store] = None,
               companion: Optional[Companion] = None, metrics: Optional[Listener] = None) -> Starlette:
    """`companion`: a service run in this process on the in-process store (the push worker of the
    embedded default, without Redis); with Redis, push workers are processes of their own.
    `metrics`: where to serve /metrics (GATEWAY_METRICS_PORT), never on the public port
    (docs/observability.md); /health and /health/live are on both."""
    store = store or make_store(settings.redis_url)
    assistant = assistant or Assistant(settings.rasa_urls)
    journal = make_journal(store)  # turns acknowledged, not answered yet: taken over if this gateway dies
    channels = build_channels(settings, assistant, store, journal)

    async def health(request: Request) -> JSONResponse:
        status, body = await check(_probes(settings, assistant, store, companion))
        return JSONResponse({**body, "channels": settings.channels_on()}, status_code=status)

    async def metrics_text() -> str:
        return render(GATEWAY, *(await companion.registries() if companion else ()))

    async def internal_health() -> Tuple[int, Dict[str, str]]:
        return await check(_probes(settings, assistant, store, companion))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as running:
            running.push_async_callback(store.close)
            running.push_async_callback(assistant.close)
            await journal.open()
            running.push_async_callback(journal.close)
            for channel in channels:
                await channel.startup()
                running.push_async_callback(channel.shutdown)
            journal.sweep()  # stops first on the way out: nothing is taken over while channels stop
            running.push_async_callback(journal.stop_sweeping)
            if companion is not None:
                await running.enter_async_context(companion.running(store))
            if metrics is not None:
                await running.enter_async_context(MetricsListener(metrics, metrics_text, internal_health).running())
            log.info("gateway on %s:%d, channels on: %s; Rasa at %s; shared state: %s; push worker: %s",
                     settings.host, settings.port, ", ".join(settings.channels_on()) or "none", settings.rasa_url,
                     "Redis" if settings.redis_url else "in-process", "in this process" if companion else "separate")
            yield

    routes: List[BaseRoute] = [Route("/health", health), Route("/health/live", live)]
    for channel in channels:
        routes.extend(channel.routes())
    known = frozenset(route.path for route in routes if isinstance(route, Route))
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders),
                                                                   Middleware(CountResponses, routes=known)])


async def live(request: Request) -> JSONResponse:
    """The process answers (its dependencies may not: /health)."""
    return JSONResponse({"status": "ok"})


def _probes(settings: GatewaySettings, assistant: Assistant, store: Store, companion: Optional[Companion]) -> Dict[str, Probe]:
    probes: Dict[str, Probe] = {"rasa": assistant.healthy}  # at least one replica answers
    if settings.redis_url:
        probes["redis"] = lambda: store.get("health")
    if companion is not None:
        probes.update(companion.probes())
    return probes


class CountResponses:
    """Counts every answer in gateway_http_responses_total by route (paths the gateway serves,
    anything else `other`) and status; an exception counts as the 500 it becomes."""

    def __init__(self, app: ASGIApp, routes: FrozenSet[str]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = scope["path"] if scope["path"] in self.routes else "other"

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                GATEWAY_RESPONSES.inc(1.0, (route, str(message["status"])))
            await send(message)

        try:
            await self.app(scope, receive, counted)
        except Exception:
            GATEWAY_RESPONSES.inc(1.0, (route, "500"))
            raise
