"""How the load tool's graduates reach the gateways: as WeChat's servers (signed, safe-mode
encrypted pushes to /wechat, the answer in the passive reply or later at the WeChat API stand-in)
and as Telegram (updates POSTed to /telegram/webhook with the secret header, the answer at the
Telegram Bot API stand-in).

The stand-ins (tests/standins/) run in threads of their own; here they keep nothing (a long run
would pile up every message) and hand each message to the load tool's event loop instead, where
the graduate waiting for it picks it up from its inbox.
"""
from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, DefaultDict, List, Optional, Tuple, Union

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.gateway.assistant import SORRY
from tests.standins.telegram import Call, Sent, TelegramStandIn
from tests.standins.wechat import WeChatAPIStandIn, WeChatPushes

ANSWER_TIMEOUT = 30.0  # an answer not at the stand-in by then is an error
SETTLE = 0.25  # Telegram: a turn's messages go out back to back; this long without one ends the answer
TAIL_WAIT = 1.6  # WeChat: a long answer's tail follows the passive reply after 1 s (bot/channels/wechat)

Key = Union[str, int]


@dataclass
class Answer:
    """One turn as the graduate saw it."""

    outcome: str  # answer | sorry | late (WeChat `success`, answered through the customer-service API) | error:<what>
    latency: float  # seconds from sending until the first piece of the answer (or the error)
    text: str = ""


class Inboxes:
    """Messages for each user, put by a stand-in thread, taken in the load tool's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._queues: DefaultDict[Key, "asyncio.Queue[Tuple[float, str]]"] = defaultdict(asyncio.Queue)

    def put_threadsafe(self, user: Key, text: str, at: float) -> None:
        self.loop.call_soon_threadsafe(self._queues[user].put_nowait, (at, text))

    def drain(self, user: Key) -> List[str]:
        """What arrived unasked (a previous answer's tail)."""
        queue, texts = self._queues[user], []
        while not queue.empty():
            texts.append(queue.get_nowait()[1])
        return texts

    async def first(self, user: Key, timeout: float) -> Optional[Tuple[float, str]]:
        try:
            return await asyncio.wait_for(self._queues[user].get(), timeout)
        except asyncio.TimeoutError:
            return None

    async def rest(self, user: Key, quiet: float) -> List[str]:
        """Messages that keep coming, until none came for `quiet` seconds."""
        texts = []
        while (got := await self.first(user, quiet)) is not None:
            texts.append(got[1])
        return texts

    def forget(self, user: Key) -> None:
        self._queues.pop(user, None)


class QuietWeChatAPI(WeChatAPIStandIn):
    """The WeChat API stand-in handing customer-service messages to an inbox instead of keeping them."""

    inboxes: Optional[Inboxes] = None

    async def _send(self, request: Request) -> JSONResponse:
        response = await super()._send(request)
        at = time.monotonic()
        with self._lock:
            sent, self.messages, self.raw_bodies = self.messages, [], []
        for message in sent:
            if self.inboxes is not None:
                self.inboxes.put_threadsafe(message["touser"], message["text"]["content"], at)
        return response


class QuietTelegram(TelegramStandIn):
    """The Telegram stand-in handing sendMessage texts to an inbox instead of keeping every call."""

    inboxes: Optional[Inboxes] = None

    def _record(self, call: Call, sent: Optional[Sent] = None) -> None:
        if sent is not None and self.inboxes is not None:
            self.inboxes.put_threadsafe(sent.chat_id, sent.text, sent.at)


class WeChatSide:
    """Pushes as WeChat's servers send them, to the gateways in turn (a round-robin balancer)."""

    def __init__(self, http: httpx.AsyncClient, pushes: WeChatPushes, gateways: List[str], inboxes: Inboxes) -> None:
        self.http, self.pushes, self.gateways, self.inboxes = http, pushes, gateways, inboxes
        self._next = 0

    async def turn(self, openid: str, text: str, want_tail: bool = False) -> Answer:
        self.inboxes.drain(openid)
        params, body = self.pushes.signed(self.pushes.text(openid, text), openid=openid)
        started = time.monotonic()
        try:
            response = await self.http.post(f"{self._gateway()}/wechat", params=params, content=body,
                                            headers={"content-type": "text/xml"})
        except httpx.HTTPError as error:
            return Answer(f"error:{type(error).__name__}", time.monotonic() - started)
        latency = time.monotonic() - started
        if response.status_code != 200:
            return Answer(f"error:http {response.status_code}", latency)
        if response.content.strip() in (b"success", b""):
            return await self._late(openid, started)
        said = self.pushes.open_reply(response.content).get("Content", "")
        if want_tail:  # a registrant reads the whole answer: its question may be in the tail
            said = "\n".join([said] + await self.inboxes.rest(openid, TAIL_WAIT))
        return Answer("sorry" if SORRY in said else "answer", latency, said)

    async def _late(self, openid: str, started: float) -> Answer:
        got = await self.inboxes.first(openid, ANSWER_TIMEOUT)
        if got is None:
            return Answer("error:no late answer", time.monotonic() - started)
        at, said = got
        return Answer("sorry" if SORRY in said else "late", at - started, said)

    def _gateway(self) -> str:
        self._next += 1
        return self.gateways[self._next % len(self.gateways)]


class TelegramSide:
    """Updates POSTed to the gateways' webhook as Telegram does, to the gateways in turn."""

    def __init__(self, http: httpx.AsyncClient, telegram: TelegramStandIn, secret: str, gateways: List[str],
                 inboxes: Inboxes) -> None:
        self.http, self.telegram, self.secret, self.gateways, self.inboxes = http, telegram, secret, gateways, inboxes
        self._next = 0

    async def turn(self, chat: int, text: str) -> Answer:
        self.inboxes.drain(chat)
        update = self.telegram.text_update(chat, text)
        started = time.monotonic()
        try:
            response = await self.http.post(f"{self._gateway()}/telegram/webhook", json=update,
                                            headers={"X-Telegram-Bot-Api-Secret-Token": self.secret})
        except httpx.HTTPError as error:
            return Answer(f"error:{type(error).__name__}", time.monotonic() - started)
        if response.status_code != 200:
            return Answer(f"error:http {response.status_code}", time.monotonic() - started)
        got = await self.inboxes.first(chat, ANSWER_TIMEOUT)
        if got is None:
            return Answer("error:no answer", time.monotonic() - started)
        at, first = got
        said = "\n".join([first] + await self.inboxes.rest(chat, SETTLE))  # the whole answer before the next turn
        return Answer("sorry" if SORRY in said else "answer", at - started, said)

    def _gateway(self) -> str:
        self._next += 1
        return self.gateways[self._next % len(self.gateways)]


def attach(standins: List[Any], inboxes: Inboxes) -> Callable[[], None]:
    """Point the stand-ins at the inboxes; returns how to detach them."""
    for standin in standins:
        standin.inboxes = inboxes

    def detach() -> None:
        for standin in standins:
            standin.inboxes = None

    return detach
