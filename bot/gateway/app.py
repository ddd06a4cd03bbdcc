"""The gateway application: the channels that are on, a health endpoint, one shared store and
one Rasa client. `python -m bot.gateway` serves it (uvicorn)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, AsyncIterator, List, Optional, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.gateway.assistant import Assistant
from bot.gateway.choices import Choices
from bot.gateway.config import GatewaySettings
from bot.gateway.stores import Store, make_store

if TYPE_CHECKING:
    from bot.push.config import PushSettings

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


def create_app(settings: GatewaySettings, assistant: Optional[Assistant] = None, store: Optional[Store] = None,
               push: Optional["PushSettings"] = None) -> Starlette:
    """`push`: run one push worker in this process, sharing the in-process store (the embedded
    default, without Redis); with Redis, workers are processes of their own (`python -m bot.push`)."""
    store = store or make_store(settings.redis_url)
    assistant = assistant or Assistant(settings.rasa_urls)
    channels = build_channels(settings, assistant, store)

    async def health(request: Request) -> JSONResponse:
        rasa = await assistant.healthy()
        return JSONResponse({"status": "ok", "channels": settings.channels_on(), "rasa": "up" if rasa else "down"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as running:
            running.push_async_callback(store.close)
            running.push_async_callback(assistant.close)
            for channel in channels:
                await channel.startup()
                running.push_async_callback(channel.shutdown)
            if push is not None:
                await running.enter_async_context(_worker_in_process(push, store))
            log.info("gateway on %s:%d, channels on: %s; Rasa at %s; shared state: %s; push worker: %s",
                     settings.host, settings.port, ", ".join(settings.channels_on()) or "none", settings.rasa_url,
                     "Redis" if settings.redis_url else "in-process", "in this process" if push else "separate")
            yield

    routes: List[BaseRoute] = [Route("/health", health)]
    for channel in channels:
        routes.extend(channel.routes())
    return Starlette(routes=routes, lifespan=lifespan)


@contextlib.asynccontextmanager
async def _worker_in_process(push: "PushSettings", store: Store) -> AsyncIterator[None]:
    from bot.push.app import open_worker

    async with open_worker(push, store=store) as worker:
        task = asyncio.create_task(worker.run())
        try:
            yield
        finally:
            worker.stop()
            await task
