"""The gateway application: the channels that are on, a health endpoint, one shared store and
one Rasa client. `python -m bot.gateway` serves it (uvicorn)."""
from __future__ import annotations

import contextlib
import logging
from typing import AsyncIterator, List, Optional, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.gateway.assistant import Assistant
from bot.gateway.choices import Choices
from bot.gateway.config import GatewaySettings
from bot.gateway.stores import Store, make_store

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    def routes(self) -> List[BaseRoute]:
        ...

    async def startup(self) -> None:
        ...

    async def shutdown(self) -> None:
        ...


def build_channels(settings: GatewaySettings, assistant: Assistant, store: Store) -> List[Channel]:
    channels: List[Channel] = []
    choices = Choices(store)
    if settings.wechat is not None:
        from bot.channels.wechat.channel import WeChatChannel

        channels.append(WeChatChannel(settings.wechat, assistant, store, choices, settings.reply_deadline))
    if settings.telegram is not None:
        from bot.channels.telegram.channel import TelegramChannel

        channels.append(TelegramChannel(settings.telegram, assistant, store))
    if settings.web:
        from bot.channels.web.channel import WebChannel

        channels.append(WebChannel(assistant, choices))
    return channels


def create_app(settings: GatewaySettings, assistant: Optional[Assistant] = None, store: Optional[Store] = None) -> Starlette:
    store = store or make_store(settings.redis_url)
    assistant = assistant or Assistant(settings.rasa_url)
    channels = build_channels(settings, assistant, store)

    async def health(request: Request) -> JSONResponse:
        rasa = await assistant.healthy()
        return JSONResponse({"status": "ok", "channels": settings.channels_on(), "rasa": "up" if rasa else "down"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for channel in channels:
            await channel.startup()
        log.info("gateway on %s:%d, channels on: %s; Rasa at %s; shared state: %s", settings.host, settings.port,
                 ", ".join(settings.channels_on()) or "none", settings.rasa_url, "Redis" if settings.redis_url else "in-process")
        try:
            yield
        finally:
            for channel in reversed(channels):
                await channel.shutdown()
            await assistant.close()
            await store.close()

    routes: List[BaseRoute] = [Route("/health", health)]
    for channel in channels:
        routes.extend(channel.routes())
    return Starlette(routes=routes, lifespan=lifespan)
