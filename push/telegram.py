"""Sending a push message through the Telegram Bot API with python-telegram-bot's Bot, the client
the gateway uses; what a failure means is bot/channels/telegram/errors.py's reading, the same for
both. The worker's slots (push/limits.py) pace the sends.

The bot token is part of every API URL: nothing here logs a URL or an exception text that could
hold one, and the request logs are turned down to warnings (client.quiet_request_logs).
"""
from __future__ import annotations

from telegram.error import TelegramError

from bot.channels.telegram.client import make_bot
from bot.channels.telegram.errors import classify
from bot.gateway.config import TelegramSettings
from push.outcome import SENT, Outcome


class TelegramSender:
    def __init__(self, settings: TelegramSettings, timeout: float = 10.0) -> None:
        self._bot = make_bot(settings, timeout)
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
