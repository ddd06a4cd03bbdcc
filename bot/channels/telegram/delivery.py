"""Sending to Telegram: button payloads kept in the store, flood control waited out, chats that
blocked the bot marked and left alone.

Store keys: bot/channels/telegram/keys.py (a chat that blocked the bot is skipped by the push
worker too).

Errors while sending, as bot/channels/telegram/errors.py reads them: pause (429) → wait
`retry_after` and send again (a few times); blocked (403) → mark the chat inactive, send it nothing
more; failed (400) → drop the rest of this answer; unknown (no answer came) → the message may have
arrived, do not send it twice; retry (not sent) → one more try. Logs carry error types only: never texts (personal data) or URLs (the
bot token is in every API URL).
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from typing import List, Optional, Sequence

from telegram import Bot, InlineKeyboardMarkup, MaybeInaccessibleMessage
from telegram.error import TelegramError

from bot.channels.telegram import keys
from bot.channels.telegram.errors import classify
from bot.channels.telegram.render import Outgoing, keyboard, outgoing, picked
from bot.gateway.replies import Button, Reply
from bot.gateway.seen import note_seen
from bot.gateway.stores import Store

log = logging.getLogger(__name__)

ATTEMPTS = 3
LONGEST_WAIT = 60.0


class Delivery:
    def __init__(self, bot: Bot, store: Store) -> None:
        self.bot = bot
        self.store = store

    async def send(self, chat: int, replies: Sequence[Reply]) -> None:
        """Every reply as messages, in order; stops at the first message that cannot go out."""
        for message in outgoing(replies):
            if not await self._send_one(chat, message):
                return

    async def reachable(self, chat: int, written_at: float) -> bool:
        """False for a message written before the chat blocked the bot; a later one unmarks it."""
        blocked_at = await self.store.get(keys.inactive(chat))
        if blocked_at is None or written_at > float(blocked_at):
            await note_seen(self.store, keys.sender(chat))
        if blocked_at is None:
            return True
        if written_at <= float(blocked_at):
            return False
        await self.store.delete(keys.inactive(chat))
        return True

    async def button(self, chat: int, button_id: str) -> Optional[Button]:
        """The button behind a press, if it is still known and was sent to this chat."""
        stored = await self.store.get(keys.button(button_id)) if button_id else None
        if stored is None:
            return None
        data = json.loads(stored)
        return Button(data["title"], data["payload"]) if data.get("chat") == chat else None

    async def mark_picked(self, message: Optional[MaybeInaccessibleMessage], title: str) -> None:
        """Leave only the picked button under the message, so the choice stays visible."""
        if message is None or not message.is_accessible:
            return
        try:
            await self.bot.edit_message_reply_markup(message.chat.id, message.message_id, reply_markup=picked(title))
        except TelegramError as error:  # too old, already edited …: the answer matters more
            log.debug("telegram: keyboard not updated: %s", type(error).__name__)

    async def _send_one(self, chat: int, message: Outgoing) -> bool:
        markup = await self._keyboard(chat, message.buttons) if message.buttons else None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await self.bot.send_message(chat, message.text, reply_markup=markup)
                return True
            except TelegramError as error:
                failure = classify(error)
                if failure.kind == "pause":
                    if attempt == ATTEMPTS or failure.retry_after > LONGEST_WAIT:
                        log.warning("telegram: flood control (retry after %.0f s), message dropped", failure.retry_after)
                        return False
                    log.info("telegram: flood control, sending again in %.0f s", failure.retry_after)
                    await asyncio.sleep(failure.retry_after)
                elif failure.kind == "blocked":
                    await self.store.set(keys.inactive(chat), f"{time.time():.3f}", keys.INACTIVE_TTL)
                    log.info("telegram: a chat blocked the bot; marked inactive")
                    return False
                elif failure.kind == "failed":
                    log.warning("telegram: message refused (%s)", failure.description)
                    return False
                elif failure.kind == "unknown":
                    log.warning("telegram: no answer to a send; not sent again (it may have arrived)")
                    return True
                elif attempt >= 2:
                    log.warning("telegram: message dropped after a network error (%s)", type(error).__name__)
                    return False
                else:
                    await asyncio.sleep(1.0)
        return False

    async def _keyboard(self, chat: int, buttons: Sequence[Button]) -> InlineKeyboardMarkup:
        ids: List[str] = []
        for b in buttons:
            ids.append(secrets.token_urlsafe(12))
            value = json.dumps({"chat": chat, "title": b.title, "payload": b.payload}, ensure_ascii=False)
            await self.store.set(keys.button(ids[-1]), value, keys.BUTTON_TTL)
        return keyboard(buttons, ids)
