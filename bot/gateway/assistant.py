"""The gateway's client of Rasa's REST channel (on loopback or the internal network).

The gateway alone chooses the sender id, `<channel>:<user>` (wx:<openid>, tg:<chat id>,
web:<session>): what a client sends never reaches that field."""
from __future__ import annotations

import logging
import time
from typing import List, Optional

import httpx

from bot.gateway.replies import Reply, from_rasa

log = logging.getLogger(__name__)
SORRY = "系统有点忙，请稍后再试。急事可以拨打12333人社服务热线。"


class AssistantUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer in time or answered an error."""


class Assistant:
    def __init__(self, rasa_url: str, timeout: float = 30.0, client: Optional[httpx.AsyncClient] = None) -> None:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        self._http = client or httpx.AsyncClient(base_url=rasa_url, timeout=timeout, limits=limits)

    async def ask(self, channel: str, user: str, text: str) -> List[Reply]:
        sender = f"{channel}:{user}"
        started = time.perf_counter()
        try:
            response = await self._http.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
            response.raise_for_status()
            messages = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("assistant unavailable for a %s message after %.1f s: %s", channel, time.perf_counter() - started, type(error).__name__)
            raise AssistantUnavailable(type(error).__name__) from error
        if not isinstance(messages, list):
            raise AssistantUnavailable("unexpected answer")
        return from_rasa([m for m in messages if isinstance(m, dict)])

    async def healthy(self) -> bool:
        try:
            return (await self._http.get("/", timeout=2.0)).status_code == 200
        except httpx.HTTPError:
            return False

    async def close(self) -> None:
        await self._http.aclose()
