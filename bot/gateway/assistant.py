"""The gateway's client of Rasa's REST channel (on loopback or the internal network), on one or
several Rasa replicas.

The gateway alone chooses the sender id, `<channel>:<user>` (wx:<openid>, tg:<chat id>,
web:<hash of the session>): what a client sends never reaches that field.

Several replicas (docs/deployment.md): each sender has its own order of the replicas
(rendezvous hashing), so a graduate's turns go to one replica while it is up, and a replica that
goes away moves only its own graduates. A turn goes to the next replica only when the connection
could not be made (nothing was sent). After the request was sent — a timeout, a dropped
connection, a 5xx, an empty or garbled answer — the turn may have run, and running a
registration answer twice would put it in the next question's place: the graduate gets the
short "try again" answer instead, and the replica is passed over for `cooldown` seconds, so the
graduate's next message goes to another one.
"""
from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, Dict, List, Optional, Sequence, Union

import httpx

from bot.gateway.replies import Reply, from_rasa
from runtime.metrics import count_turn

log = logging.getLogger(__name__)
SORRY = "系统有点忙，请稍后再试。急事可以拨打12333人社服务热线。"
# a turn taken over from a gateway that died with it, when Rasa cannot say what became of it
SEND_AGAIN = "刚才的消息没有处理完，请再发一次。"
WEBHOOK = "/webhooks/rest/webhook"
# the request never left: another replica may take the turn
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class AssistantUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer in time or answered an error."""


def request_body(sender: str, text: str, turn: Optional[str] = None, once: bool = False) -> Dict[str, Any]:
    """What the REST channel is sent for one message."""
    body: Dict[str, Any] = {"sender": sender, "message": text}
    if turn:
        body["metadata"] = {"turn_id": turn}
        if once:
            body["once"] = True
    return body


def replica_order(sender: str, urls: Sequence[str]) -> List[str]:
    """The replicas in this sender's order of preference (rendezvous hashing: stable while the
    list is, and removing one replica moves only the senders it had first)."""
    def weight(url: str) -> bytes:
        return hashlib.blake2b(f"{url}|{sender}".encode(), digest_size=8).digest()

    return sorted(urls, key=weight, reverse=True)


class Assistant:
    def __init__(self, rasa_urls: Union[str, Sequence[str]], timeout: float = 30.0,
                 client: Optional[httpx.AsyncClient] = None, cooldown: float = 10.0) -> None:
        self.urls = [rasa_urls] if isinstance(rasa_urls, str) else list(rasa_urls)
        if not self.urls:
            raise ValueError("at least one Rasa URL")
        self.cooldown = cooldown
        self._passed_over: Dict[str, float] = {}  # url → until (monotonic)
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        # connecting on loopback is instant or refused: a short connect timeout fails over fast
        self._http = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=2.0), limits=limits)

    async def ask(self, channel: str, user: str, text: str, turn: Optional[str] = None, once: bool = False) -> List[Reply]:
        """The assistant's replies to one message. `turn` names the turn (Rasa keeps it on the user
        event); `once` (with `turn`): a turn sent again — Rasa answers it from the conversation when
        it already ran there and runs it only when it did not (nlu/server/private_rest.py)."""
        sender = f"{channel}:{user}"
        started = time.perf_counter()
        order = self.order(sender)
        body = request_body(sender, text, turn, once)
        for number, url in enumerate(order, 1):
            try:
                response = await self._http.post(url + WEBHOOK, json=body)
            except NOT_SENT as error:
                self._pass_over(url)
                if number < len(order):
                    log.warning("Rasa replica %s unreachable (%s): the turn goes to the next one", url, type(error).__name__)
                    continue
                raise self._unavailable(channel, started, error) from error
            except httpx.HTTPError as error:  # sent: the turn may have run, so it is not sent again
                self._pass_over(url)
                raise self._unavailable(channel, started, error) from error
            return self._replies(url, response, channel, started)
        raise AssertionError("unreachable")  # pragma: no cover

    def order(self, sender: str) -> List[str]:
        """This sender's replicas, those passed over recently last."""
        now = time.monotonic()
        preferred = replica_order(sender, self.urls)
        return sorted(preferred, key=lambda url: self._passed_over.get(url, 0.0) > now)

    def _replies(self, url: str, response: httpx.Response, channel: str, started: float) -> List[Reply]:
        try:
            response.raise_for_status()
            messages = response.json()
        except (httpx.HTTPError, ValueError) as error:
            self._pass_over(url)
            raise self._unavailable(channel, started, error) from error
        if not isinstance(messages, list) or not messages:
            # every turn of this assistant says something; nothing means a custom action failed
            # (its action server is down) and the replica's answers are lost until it is back
            self._pass_over(url)
            raise self._unavailable(channel, started, "empty answer" if isinstance(messages, list) else "unexpected answer")
        self._passed_over.pop(url, None)
        count_turn(channel, started)
        return from_rasa([m for m in messages if isinstance(m, dict)])

    def _pass_over(self, url: str) -> None:
        if len(self.urls) > 1:
            self._passed_over[url] = time.monotonic() + self.cooldown

    @staticmethod
    def _unavailable(channel: str, started: float, error: Union[Exception, str]) -> AssistantUnavailable:
        what = error if isinstance(error, str) else type(error).__name__
        count_turn(channel, started, what)
        log.warning("assistant unavailable for a %s message after %.1f s: %s", channel, time.perf_counter() - started, what)
        return AssistantUnavailable(what)

    async def healthy(self) -> bool:
        """True when at least one replica answers."""
        for url in self.urls:
            try:
                if (await self._http.get(url + "/", timeout=2.0)).status_code == 200:
                    return True
            except httpx.HTTPError:
                continue
        return False

    async def close(self) -> None:
        await self._http.aclose()
