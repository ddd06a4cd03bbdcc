"""Rasa's REST channel with personal numbers masked before Rasa sees the message, each turn run to
its end, and a turn sent again answered from the conversation instead of run twice.

Same URL and protocol as Rasa's own (`/webhooks/rest/webhook`, {"sender", "message"}; no
streaming, which the gateway does not use).

- Phone and ID-card numbers in the text are masked (139****5678), so the tracker, the NLU and the
  logs never hold them; the original text travels encrypted in the message metadata
  (`sealed_text`) for the registration action, which holds the key. A client cannot supply its
  own `sealed_text`.
- A turn runs to its end even when the client goes away (Sanic cancels a request whose
  connection dropped): a gateway killed mid-turn leaves either no trace of the turn or the whole
  turn in the tracker, never an action that ran without the tracker knowing.
- The gateway names each turn in the metadata (`turn_id`, e.g. `msg:<WeChat MsgId>`); Rasa keeps
  it on the user event. A request with `"once": true` (a gateway taking over a push whose first
  gateway died) is answered, under the conversation's lock, with the replies that followed the
  user event carrying the same `turn_id` when there is one — as the tracker store keeps them,
  personal data redacted — and runs the turn only when there is none.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Set, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from db.crypto import Cipher
from db.pii import SEALED_KEY, mask_personal_numbers, seal
from ledger.config import settings_from_env

log = logging.getLogger(__name__)

TURN_KEY = "turn_id"
ONCE_KEY = "once"
Message = Dict[str, Any]


class PrivateRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "PrivateRestInput":
        return cls()

    def __init__(self) -> None:
        settings = settings_from_env()  # fails fast, naming the variable, when the keys are wrong
        self.cipher = Cipher(settings.keys, settings.hash_key)
        self._running: Set["asyncio.Future[None]"] = set()

    def _extract_message(self, req: Request) -> Optional[Text]:
        text = req.json.get("message") if isinstance(req.json, dict) else None
        return mask_personal_numbers(text) if isinstance(text, str) else text

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        body = request.json if isinstance(request.json, dict) else {}
        given = body.get("metadata")
        metadata = {key: value for key, value in given.items() if key != SEALED_KEY} if isinstance(given, dict) else {}
        text = body.get("message")
        sealed = seal(self.cipher, text) if isinstance(text, str) else None
        if sealed:
            metadata[SEALED_KEY] = sealed
        return metadata or None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}")

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            collector = CollectingOutputChannel()
            message = UserMessage(self._extract_message(request), collector, await self._extract_sender(request),
                                  input_channel=self._extract_input_channel(request), metadata=self.get_metadata(request))
            turn = (message.metadata or {}).get(TURN_KEY)
            once = isinstance(request.json, dict) and request.json.get(ONCE_KEY) is True and isinstance(turn, str)
            work = once_only(request.app.ctx.agent, message, str(turn)) if once else on_new_message(message)
            await self._to_the_end(work)
            return response.json(collector.messages)

        return webhook

    async def _to_the_end(self, work: Awaitable[Any]) -> None:
        """Run the turn; a dropped connection cancels the request, not the turn."""
        task = asyncio.ensure_future(work)
        self._running.add(task)
        task.add_done_callback(self._finished)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            log.info("the client went away during a turn: the turn runs to its end")
            raise
        except Exception:
            pass  # logged by _finished

    def _finished(self, task: "asyncio.Future[None]") -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("handling a message failed", exc_info=task.exception())


async def once_only(agent: Any, message: UserMessage, turn: str) -> None:
    """The turn named `turn`, run only if the conversation does not have it yet; otherwise its
    recorded replies go to the message's collector."""
    if not agent.is_ready():
        log.info("no agent yet: a repeated turn is ignored")
        return
    async with agent.lock_store.lock(message.sender_id):
        tracker = await agent.tracker_store.retrieve(message.sender_id)
        recorded = recorded_replies(list(tracker.events) if tracker else [], turn, message.sender_id)
        if recorded is None:
            await agent.processor.handle_message(message)
            return
        log.info("a turn sent again was answered from the conversation, not run again")
        assert isinstance(message.output_channel, CollectingOutputChannel)
        message.output_channel.messages.extend(recorded)


def recorded_replies(events: Sequence[Event], turn: str, recipient: str) -> Optional[List[Message]]:
    """The replies (as the REST channel sends them) that followed the user event of `turn`, or None
    when no user event carries it."""
    start = next((i for i in range(len(events) - 1, -1, -1)
                  if isinstance(events[i], UserUttered) and (events[i].metadata or {}).get(TURN_KEY) == turn), None)
    if start is None:
        return None
    replies: List[Message] = []
    for event in events[start + 1:]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            replies.append(_as_message(event, recipient))
    return replies


def _as_message(event: BotUttered, recipient: str) -> Message:
    data = event.data or {}
    fields = {"recipient_id": recipient, "text": event.text, "image": data.get("image"), "buttons": data.get("buttons"),
              "attachment": data.get("attachment"), "custom": data.get("custom")}
    return {key: value for key, value in fields.items() if value is not None}
