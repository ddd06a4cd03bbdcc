"""The Bot API client every sender uses (python-telegram-bot's Bot): where it calls, with what
pool and timeouts. The gateway's Application and the push worker's Bot are built from here."""
from __future__ import annotations

import logging

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.gateway.config import TelegramSettings


def sending_request(pool: int = 64, timeout: float = 15.0) -> HTTPXRequest:
    """Requests that send: a pool for many chats at once, a short connect timeout."""
    return HTTPXRequest(connection_pool_size=pool, connect_timeout=min(timeout, 5.0), read_timeout=timeout,
                        write_timeout=timeout, pool_timeout=5.0)


def polling_request() -> HTTPXRequest:
    """getUpdates's own connection (long polling holds it open)."""
    return HTTPXRequest(connection_pool_size=2, connect_timeout=5.0, read_timeout=10.0, write_timeout=10.0, pool_timeout=5.0)


def make_bot(settings: TelegramSettings, timeout: float = 15.0) -> Bot:
    """A Bot for sending only (the push worker): no updates are fetched with it."""
    quiet_request_logs()
    return Bot(settings.bot_token, base_url=settings.api_base_url, base_file_url=file_url(settings.api_base_url),
               request=sending_request(timeout=timeout), get_updates_request=polling_request())


def file_url(api_base_url: str) -> str:
    """Where files are downloaded: https://api.telegram.org/bot → https://api.telegram.org/file/bot."""
    head, _, tail = api_base_url.rpartition("/")
    return f"{head}/file/{tail}"


def quiet_request_logs() -> None:
    """httpx logs every request URL at INFO, and each Bot API URL holds the token."""
    for name in ("httpx", "httpcore", "telegram"):
        logging.getLogger(name).setLevel(logging.WARNING)
