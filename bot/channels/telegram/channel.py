"""The Telegram channel: a python-telegram-bot Application inside the gateway.

Long polling when TELEGRAM_WEBHOOK_URL is absent. With it, Telegram POSTs updates to
/telegram/webhook; the request must carry the secret in `X-Telegram-Bot-Api-Secret-Token`
(403 otherwise, nothing processed). Accepted updates go on the Application's queue and are
answered 200 at once; the answer goes out through the Bot API. Telegram resends an update until
it gets a 2xx, and never after: so before the 200 the update is claimed (a resend is not answered
twice) and written down in the journal (bot/gateway/journal.py), sealed with a key derived from
the bot token, and crossed out once processed. When the gateway dies with it, another takes it
over and sends its turn to Rasa with `once` (a turn never runs twice).

Updates of different chats are processed concurrently, one chat's in order (processor.py).
The bot token is in every Bot API URL: httpx's and PTB's request logs are turned down to
warnings, and start-up errors are reported without the exception text (which can hold it).
"""
from __future__ import annotations

import hmac
import logging
from typing import List, Optional

from cryptography.fernet import InvalidToken
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.channels.telegram import keys
from bot.channels.telegram.client import file_url, polling_request, quiet_request_logs, sending_request
from bot.channels.telegram.delivery import Delivery
from bot.channels.telegram.handlers import COMMANDS, JOURNAL_KIND, Handlers, journal_entry
from bot.channels.telegram.processor import ChatOrderedProcessor
from bot.gateway.assistant import Assistant
from bot.gateway.config import TelegramSettings
from bot.gateway.http import BadJSON, load_json, read_limited
from bot.gateway.journal import Journal, sealer
from bot.gateway.stores import Store

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_BODY = 256 * 1024
POLL_TIMEOUT = 10


class TelegramStartupError(RuntimeError):
    """The Bot API could not be reached or refused the bot at start-up."""


class TelegramChannel:
    name = "telegram"

    def __init__(self, settings: TelegramSettings, assistant: Assistant, store: Store, journal: Journal) -> None:
        quiet_request_logs()
        self.settings = settings
        self.store = store
        self.journal = journal
        self.cipher = sealer("telegram journal", settings.bot_token)
        self.application = build_application(settings, ChatOrderedProcessor(on_done=self._processed))
        Handlers(assistant, Delivery(self.application.bot, store), journal).register(self.application)
        journal.on_replay(JOURNAL_KIND, self._replay)

    def routes(self) -> List[BaseRoute]:
        return [Route(WEBHOOK_PATH, self.webhook, methods=["POST"])] if self.settings.webhook_url else []

    async def startup(self) -> None:
        try:
            await self._start()
        except TelegramError as error:
            await self.shutdown()
            raise TelegramStartupError(f"Telegram not started: the Bot API answered {type(error).__name__} "
                                       "(check TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL)") from None
        log.info("telegram: on, %s", "webhook" if self.settings.webhook_url else "long polling")

    async def shutdown(self) -> None:
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def webhook(self, request: Request) -> Response:
        """One update from Telegram: checked, queued, acknowledged."""
        if not self._secret_matches(request.headers.get(SECRET_HEADER)):
            return PlainTextResponse("forbidden", status_code=403)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return PlainTextResponse("expected application/json", status_code=415)
        body = await read_limited(request, MAX_BODY)
        if body is None:
            return PlainTextResponse("too large", status_code=413)
        update = self._parse(body)
        if update is None:
            return PlainTextResponse("not an update", status_code=400)
        claim = (keys.update(update.update_id), keys.UPDATE_TTL)
        if await self.journal.record(journal_entry(update.update_id), self.cipher.encrypt(body).decode(), claim):
            await self.application.update_queue.put(update)
        return Response(status_code=200)

    async def _processed(self, update: object) -> None:
        if isinstance(update, Update):
            await self.journal.done(journal_entry(update.update_id))

    async def _replay(self, entry: str, payload: str) -> None:
        """An update a dead gateway had acknowledged: processed here (its turn sent with `once`)."""
        try:
            update = self._parse(self.cipher.decrypt(payload.encode()))
        except InvalidToken:  # sealed under another bot token
            update = None
        if update is None:
            log.warning("a taken-over Telegram update could not be read: dropped")
            await self.journal.done(entry)
            return
        await self.application.update_queue.put(update)

    async def _start(self) -> None:
        await self.application.initialize()
        await self.application.start()
        await self.application.bot.set_my_commands(COMMANDS)
        if self.settings.webhook_url:
            await self.application.bot.set_webhook(self.settings.webhook_url, secret_token=self.settings.webhook_secret,
                                                   allowed_updates=ALLOWED_UPDATES)
        elif self.application.updater is not None:
            await self.application.updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES)

    def _secret_matches(self, given: Optional[str]) -> bool:
        expected = self.settings.webhook_secret
        return bool(expected) and given is not None and hmac.compare_digest(given.encode(), str(expected).encode())

    def _parse(self, body: bytes) -> Optional[Update]:
        try:
            data = load_json(body)
        except BadJSON:  # also a lone surrogate in a text: Telegram's own JSON never has one
            return None
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return None
        try:
            update = Update.de_json(data, self.application.bot)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return update if update is not None and well_typed(update) else None


def well_typed(update: Update) -> bool:
    """The fields the handlers use have Telegram's types (de_json takes whatever it is given)."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    query = update.callback_query
    return ((chat is None or type(chat.id) is int) and (user is None or type(user.id) is int)
            and (message is None or isinstance(message.text, (str, type(None))))
            and (query is None or isinstance(query.data, (str, type(None)))))


def build_application(settings: TelegramSettings, processor: ChatOrderedProcessor) -> Application:  # type: ignore[type-arg]
    builder = (
        Application.builder()
        .token(settings.bot_token)
        .base_url(settings.api_base_url)
        .base_file_url(file_url(settings.api_base_url))
        .request(sending_request())
        .get_updates_request(polling_request())
        .concurrent_updates(processor)
        .job_queue(None)
    )
    if settings.webhook_url:
        builder = builder.updater(None)
    return builder.build()
