"""Delivering handoff messages (staff replies, the closing notice) on the graduate's channel.

Every worker ticks this courier; each message is claimed in the database first (one worker wins),
sent, and its outcome recorded. A message is only claimed when every earlier message of its case
has been dealt with (HandoffStore.claim), so a graduate never gets a later reply before an earlier
one, whatever the number of workers; a message to retry waits RETRY_SECONDS × attempts.

- Telegram: sendMessage through the shared sending slots (30/s overall, 1/s per chat);
- WeChat: a customer-service text, only inside the 48-hour window since the graduate's last
  message (the gateway records it); outside it the message is `skipped` and staff see so;
- web chat: into the page's inbox in the shared Store (`web:inbox:<hash of the session>`, as the
  case's identity has it; kept 7 days), which the page polls.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable, Optional, TypeVar

from bot.channels.web import keys as web_keys
from bot.gateway.stores import Store
from handoff.store import HandoffStore, Outgoing
from push.limits import Slot
from push.outcome import SENT, Outcome
from push.telegram import TelegramSender
from push.wechat import WeChatSender

log = logging.getLogger(__name__)
T = TypeVar("T")
Db = Callable[..., Any]
MAX_ATTEMPTS = 5
RETRY_SECONDS = 5.0
BATCH = 50


class ReplyCourier:
    def __init__(self, handoffs: HandoffStore, store: Store, slots: Slot, db: Db, lease: float,
                 telegram: Optional[TelegramSender] = None, wechat: Optional[WeChatSender] = None) -> None:
        self.handoffs, self.store, self.slots, self.db = handoffs, store, slots, db
        self.lease = lease
        self.telegram, self.wechat = telegram, wechat

    async def tick(self) -> None:
        await self.db(self.handoffs.expire_leases)
        for message_id in await self.db(self.handoffs.due, BATCH):
            outgoing = await self.db(self.handoffs.claim, message_id, self.lease)
            if outgoing is None:
                continue  # another worker has it
            outcome = await self.send(outgoing)
            again = outcome.status in ("retry", "pause") and outgoing.attempts < MAX_ATTEMPTS
            status = outcome.status if outcome.status not in ("retry", "pause") else "failed"
            wait = max(outcome.retry_after, RETRY_SECONDS * outgoing.attempts) if again else None
            await self.db(self.handoffs.settle, outgoing.id, status, outcome.error, wait)
            log.info("handoff message %d to %s: %s", outgoing.id, outgoing.channel, "retry later" if again else status)

    async def send(self, outgoing: Outgoing) -> Outcome:
        address = outgoing.identity.split(":", 1)[1] if ":" in outgoing.identity else outgoing.identity
        if outgoing.channel == "tg" and self.telegram is not None:
            return await self.send_telegram(address, outgoing.text)
        if outgoing.channel == "wx" and self.wechat is not None:
            return await self.wechat.send_text(address, outgoing.text)
        if outgoing.channel == "web":
            item = json.dumps({"id": outgoing.id, "text": outgoing.text, "at": time.time()}, ensure_ascii=False)
            await self.store.append(web_keys.inbox(address), item, web_keys.INBOX_TTL)
            return SENT
        return Outcome("skipped", f"channel {outgoing.channel!r} is off in this worker")

    async def send_telegram(self, chat: str, text: str) -> Outcome:
        assert self.telegram is not None
        ticket = await self.slots.acquire(chat)
        try:
            outcome = await self.telegram.send(chat, text)
        finally:
            await self.slots.finish(ticket, chat)
        if outcome.status == "pause":
            await self.slots.pause(outcome.retry_after, chat)
        return outcome
