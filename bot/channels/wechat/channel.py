"""The WeChat official-account channel: GET /wechat (URL verification), POST /wechat (pushes).

A push is checked (inbound.py) before anything reaches the assistant, then claimed across
replicas (turns.py: text/voice/other messages by openid + MsgId, events by openid + CreateTime
+ Event; the claim names the gateway holding the push and that gateway renews a short lease while
it does) and answered under the 5-second rule: the assistant's answer goes back as the passive
reply when it comes within `deadline` seconds (4.0: WeChat gives up at 5); otherwise the push is
answered `success` at the deadline and the answer follows through the customer-service API. A
long answer's first piece is the passive reply and the rest follow through the customer-service
API, in order.

WeChat resends a push it got no answer to (the same MsgId, 3 attempts in all, about 5 s apart). A
resend that finds the push answered gets the kept passive reply again, or `success`; one that
finds it in a live gateway's hands waits for it a little (within the deadline); one that finds
its gateway dead (the lease ran out) takes the push over and sends the turn to Rasa again with
`once`: Rasa answers from the conversation when the turn ran and runs it when it did not, so a
turn never runs twice. When Rasa cannot be asked, the graduate is asked to send the message again.

WeChat does not resend a push it got `success` for, nor one whose passive reply came: an answer
still owed then (the late answer, the pieces after the passive reply) is written down in the
journal first (bot/gateway/journal.py; sealed with a key derived from the AppSecret) and crossed
out once sent. When the gateway dies with it, another takes it over, asks Rasa with `once` and
sends it (a late answer only once it holds the push's claim too, so that a resend WeChat made
after all is not answered twice).

The sender id is `wx:<openid>`; a bare number picks one of the choices offered last.

A user's own message (not an event: menu clicks and follows open only a 1-minute window) is
recorded as `wx:last_inbound:<openid>` (Unix time, 48 h TTL): the push worker (push/) sends
customer-service messages only while that key lives, template messages otherwise."""
from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from typing import List, Optional

from cryptography.fernet import InvalidToken
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.wechat import keys
from bot.channels.wechat.client import WeChatClient
from bot.channels.wechat.inbound import Inbound, PushReader, Rejected, Resent
from bot.channels.wechat.menu import load_menu
from bot.channels.wechat.render import passive_text, render
from bot.channels.wechat.turns import Hold, State, Turns
from bot.gateway.assistant import SEND_AGAIN, SORRY, Assistant, AssistantUnavailable
from bot.gateway.background import Background
from bot.gateway.choices import Choices
from bot.gateway.config import WeChatSettings
from bot.gateway.http import read_limited
from bot.gateway.journal import Journal, sealer
from bot.gateway.replies import all_buttons
from bot.gateway.seen import note_seen
from bot.gateway.stores import Store

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
XML_TYPES = ("text/xml", "application/xml")
USER_MESSAGES = ("text", "voice", "other")
# the passive reply should reach the user before the customer-service pieces that follow it
TAIL_DELAY = 1.0
JOURNAL_KIND = "wx"

WELCOME = "欢迎关注！我是北京离校未就业高校毕业生就业服务助手。"
TYPE_PLEASE = "没听清这段语音，请打字告诉我你想问什么。"
UNSUPPORTED = "暂不支持这种消息，请发文字或语音。"


class WeChatChannel:
    name = "wechat"

    def __init__(self, settings: WeChatSettings, assistant: Assistant, store: Store, choices: Choices, journal: Journal,
                 deadline: float = 4.0, client: Optional[WeChatClient] = None, turns: Optional[Turns] = None) -> None:
        self.assistant = assistant
        self.store = store
        self.choices = choices
        self.journal = journal
        self.deadline = deadline
        self.reader = PushReader(settings, store)
        self.client = client or WeChatClient(settings, store)
        self.turns = turns or Turns(store, settings.app_secret, holder=journal.holder)
        self.cipher = sealer("wechat journal", settings.app_secret)
        self.menu_payloads = load_menu().payloads
        self._background = Background("WeChat delivery")
        journal.on_replay(JOURNAL_KIND, self._replay)

    def routes(self) -> List[BaseRoute]:
        return [
            Route("/wechat", self.verify, methods=["GET"]),
            Route("/wechat", self.receive, methods=["POST"]),
        ]

    async def startup(self) -> None:
        log.info("WeChat channel on /wechat (%s mode)", "safe" if self.reader.crypto else "plaintext")

    async def shutdown(self) -> None:
        await self._background.stop(timeout=10.0)
        await self.client.close()

    async def verify(self, request: Request) -> Response:
        try:
            return PlainTextResponse(self.reader.verify_url(request.query_params))
        except Rejected as rejected:
            log.warning("WeChat URL verification refused: %s", rejected.reason)
            return PlainTextResponse(rejected.reason, status_code=rejected.status)

    async def receive(self, request: Request) -> Response:
        started = asyncio.get_running_loop().time()
        if request.headers.get("content-type", "").split(";")[0].strip().lower() not in XML_TYPES:
            return PlainTextResponse("expected text/xml", status_code=415)
        body = await read_limited(request, MAX_BODY)
        if body is None:
            return PlainTextResponse("message too large", status_code=413)
        params = request.query_params
        try:
            inbound = await self.reader.open(params, body)
        except Rejected as rejected:
            log.warning("WeChat push refused (%d): %s", rejected.status, rejected.reason)
            return PlainTextResponse(rejected.reason, status_code=rejected.status)
        except Resent:
            return success()
        return await self._claimed(inbound, params.get("nonce", ""), started)

    async def _claimed(self, inbound: Inbound, nonce: str, started: float) -> Response:
        """The answer to a checked push: new, or WeChat's resend of one (turns.py)."""
        found = await self.turns.take(inbound.dedupe_key)
        if found.state is State.HELD:
            log.info("WeChat resent a %s push another gateway is answering: waiting for it", inbound.kind)
            found = await self.turns.settle(inbound.dedupe_key, started + self.deadline)
        if found.state in (State.NEW, State.TAKEN_OVER):
            hold = self.turns.hold(inbound.dedupe_key)
            try:
                return await self._respond(inbound, nonce, started, hold, again=found.state is State.TAKEN_OVER)
            except BaseException:
                hold.abandon()  # a resend takes it over
                raise
        if found.reply is not None:
            log.info("WeChat resent a %s push already answered: the same passive reply again", inbound.kind)
            return self._passive(inbound, found.reply, nonce)
        log.info("WeChat resent a %s push (%s): answered success", inbound.kind, found.state.value)
        return success()

    async def _respond(self, inbound: Inbound, nonce: str, started: float, hold: Hold, again: bool) -> Response:
        if inbound.kind in USER_MESSAGES:
            await self.store.set(keys.last_inbound(inbound.openid), str(int(time.time())), keys.LAST_INBOUND_TTL)
        if inbound.kind in USER_MESSAGES or inbound.kind == "subscribe":
            await note_seen(self.store, keys.sender(inbound.openid))
        if inbound.kind == "unsubscribe":
            await self.store.set(keys.inactive(inbound.openid), f"{time.time():.3f}", keys.INACTIVE_TTL)
            await hold.release(None)
            return success()
        answer = asyncio.ensure_future(self._answer(inbound, again))
        remaining = self.deadline - (asyncio.get_running_loop().time() - started)
        done, _ = await asyncio.wait({answer}, timeout=max(remaining, 0.0))
        if not done:
            log.info("answer not ready after %.1f s: it follows through the customer-service API", self.deadline)
            await self._write_down(inbound, 0)
            self._background.spawn(self._deliver_late(inbound, answer, hold))
            return success()
        try:
            pieces = answer.result()
        except Exception:  # a broken store, say: still answer in time
            log.exception("answering a WeChat push failed")
            pieces = [SORRY]
        await hold.release(pieces[0] if pieces else None)
        if not pieces:
            return success()
        if len(pieces) > 1:
            await self._write_down(inbound, 1)
            self._background.spawn(self._send_later(inbound, pieces[1:]))
        return self._passive(inbound, pieces[0], nonce)

    def _passive(self, inbound: Inbound, text: str, nonce: str) -> Response:
        xml = self.reader.seal(passive_text(inbound.account, inbound.openid, text), nonce)
        return Response(xml, media_type="application/xml")

    async def _answer(self, inbound: Inbound, again: bool = False) -> List[str]:
        """The text pieces answering the push (none: nothing to say). `again`: the push was taken
        over from a gateway that died with it, and Rasa may have run its turn already."""
        if inbound.kind in ("text", "voice"):
            text = inbound.text.strip()
            if not text:
                return [TYPE_PLEASE] if inbound.kind == "voice" else []
            return await self._ask(inbound, await self.choices.resolve(keys.sender(inbound.openid), text), again)
        if inbound.kind == "subscribe":
            await self.store.delete(keys.inactive(inbound.openid))
            return await self._ask(inbound, "/help", again, prefix=WELCOME)
        if inbound.kind == "click":
            payload = self.menu_payloads.get(inbound.text)
            if payload is None:
                log.warning("menu click with a key not in menu.yml: answering with the help text")
            return await self._ask(inbound, payload or "/help", again)
        if inbound.kind == "event":
            return []
        return [UNSUPPORTED]

    async def _ask(self, inbound: Inbound, text: str, again: bool, prefix: str = "") -> List[str]:
        try:
            replies = await self.assistant.ask("wx", inbound.openid, text, turn=inbound.turn, once=again)
        except AssistantUnavailable:
            return [SEND_AGAIN if again else SORRY]
        await self.choices.remember(keys.sender(inbound.openid), all_buttons(replies))
        return render(replies, prefix)

    async def _deliver_late(self, inbound: Inbound, answer: "asyncio.Future[List[str]]", hold: Hold) -> None:
        """The answer WeChat got `success` for, through the customer-service API."""
        try:
            pieces = await answer
            if not await self.store.get(keys.inactive(inbound.openid)):
                await self._send_all(inbound.openid, pieces)
        except asyncio.CancelledError:  # the gateway is stopping: another takes it over (journal)
            hold.abandon()
            raise
        except Exception:
            await hold.release(None)
            await self.journal.done(journal_entry(inbound))
            raise
        await hold.release(None)
        await self.journal.done(journal_entry(inbound))

    async def _send_later(self, inbound: Inbound, pieces: List[str]) -> None:
        """The pieces after the passive reply, once it has had time to arrive."""
        await asyncio.sleep(TAIL_DELAY)  # cancelled (the gateway stops): left to another gateway
        try:
            await self._send_all(inbound.openid, pieces)
        except asyncio.CancelledError:
            raise
        except Exception:
            await self.journal.done(journal_entry(inbound))
            raise
        await self.journal.done(journal_entry(inbound))

    async def _write_down(self, inbound: Inbound, skip: int) -> None:
        """Before WeChat's `success` (or a passive reply with more to follow): the push in the
        journal, so that another gateway delivers the answer (from piece `skip`) if this one dies."""
        payload = json.dumps({"inbound": dataclasses.asdict(inbound), "skip": skip}, ensure_ascii=False)
        try:
            await self.journal.record(journal_entry(inbound), self.cipher.encrypt(payload.encode("utf-8")).decode())
        except Exception as error:  # the answer still follows from here; only a crash would lose it
            log.warning("a WeChat answer still owed was not written down (%s)", type(error).__name__)

    async def _replay(self, entry: str, payload: str) -> None:
        """An answer a dead gateway owed: asked again with `once`, sent through the customer-service API."""
        try:
            data = json.loads(self.cipher.decrypt(payload.encode()))
            inbound, skip = Inbound(**data["inbound"]), int(data["skip"])
        except (InvalidToken, ValueError, TypeError, KeyError):
            log.warning("a taken-over WeChat answer could not be read: dropped")
            await self.journal.done(entry)
            return
        if skip:
            await self._send_later(inbound, (await self._answer(inbound, again=True))[skip:])
            return
        # WeChat may have resent the push after all (the `success` was lost): its claim decides
        found = await self.turns.take(inbound.dedupe_key)
        if found.state is State.HELD:  # the dead gateway's lease on the push runs out within lease_ttl
            found = await self.turns.settle(inbound.dedupe_key, asyncio.get_running_loop().time() + self.turns.lease_ttl + 1.0)
        if found.state not in (State.NEW, State.TAKEN_OVER):
            await self.journal.done(entry)
            return
        hold = self.turns.hold(inbound.dedupe_key)
        await self._deliver_late(inbound, asyncio.ensure_future(self._answer(inbound, again=True)), hold)

    async def _send_all(self, openid: str, pieces: List[str]) -> None:
        for number, piece in enumerate(pieces, 1):
            if not await self.client.send_text(openid, piece):
                log.warning("stopped after %d of %d customer-service pieces", number - 1, len(pieces))
                return


def journal_entry(inbound: Inbound) -> str:
    """The journal entry of a push whose answer is still owed after WeChat was answered."""
    return f"{JOURNAL_KIND}:{inbound.openid}:{inbound.turn}"


def success() -> Response:
    """Ends WeChat's retries without showing the user anything."""
    return PlainTextResponse("success")
