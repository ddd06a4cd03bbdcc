"""Sending a push message through the Telegram Bot API with python-telegram-bot's Bot, the client
the gateway uses; what a failure means is bot/channels/telegram/errors.py's reading, the same for
both. The worker's slots (push/limits.py) pace the sends.

The bot token is part of every API URL: nothing here logs a URL or an exception text that could
hold one, and httpx's own request log is turned down to warnings.
"""
from __future__ import annotations

import logging
from typing import Optional

from telegram import Bot
from telegram.error import TelegramError

from bot.channels.telegram.client import make_bot
from bot.channels.telegram.errors import classify
from bot.gateway.config import TelegramSettings
from push.outcome import SENT, Outcome

log = logging.getLogger(__name__)


class TelegramSender:
    def __init__(self, settings: TelegramSettings, timeout: float = 10.0, bot: Optional[Bot] = None) -> None:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._bot = bot or make_bot(settings, timeout)
        self._ready = False

    async def send(self, chat_id: str, text: str) -> Outcome:
        chat = int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id
        try:
            if not self._ready:  # the Bot's first call (getMe) waits for the first message
                await self._bot.initialize()
                self._ready = True
            await self._bot.send_message(chat, text)
        except TelegramError as error:
            failure = classify(error)
            return Outcome(failure.kind, failure.description, failure.retry_after)
        return SENT

    async def close(self) -> None:
        if self._ready:
            await self._bot.shutdown()
