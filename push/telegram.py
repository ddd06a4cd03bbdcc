"""Sending a push message through the Telegram Bot API: one small httpx client calling
`{TELEGRAM_API_BASE_URL}{token}/sendMessage` (no python-telegram-bot Application in the worker).

The bot token is part of the URL: nothing here logs a URL or an exception text that could hold
one, and httpx's own request log is turned down to warnings.

Answers: ok → sent; 403 → blocked (the user blocked the bot); 429 → pause for `retry_after`;
400 → failed (chat not found, text refused …); other errors and 5xx → retry later. A connection
that could not be made → retry; a request that got no answer (read timeout, dropped
connection) → unknown: Telegram may have delivered it, and nothing is sent twice.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional

import httpx

from bot.gateway.config import TelegramSettings
from push.outcome import SENT, Outcome

log = logging.getLogger(__name__)
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class TelegramSender:
    def __init__(self, settings: TelegramSettings, timeout: float = 10.0, http: Optional[httpx.AsyncClient] = None) -> None:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._url = f"{settings.api_base_url}{settings.bot_token}/sendMessage"
        self._http = http or httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=64))

    async def send(self, chat_id: str, text: str) -> Outcome:
        body: Dict[str, Any] = {"chat_id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id, "text": text}
        try:
            response = await self._http.post(self._url, json=body)
        except NOT_SENT as error:
            return Outcome("retry", f"Telegram unreachable ({type(error).__name__})")
        except httpx.HTTPError as error:
            return Outcome("unknown", f"no answer from Telegram ({type(error).__name__}); it may have arrived")
        return classify(response)

    async def close(self) -> None:
        await self._http.aclose()


def classify(response: httpx.Response) -> Outcome:
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if response.status_code == 200 and answer.get("ok"):
        return SENT
    code = int(answer.get("error_code") or response.status_code)
    description = str(answer.get("description") or f"HTTP {response.status_code}")[:150]
    if code == 403:
        return Outcome("blocked", description)
    if code == 429:
        retry_after = (answer.get("parameters") or {}).get("retry_after") or 1
        return Outcome("pause", description, float(retry_after))
    if code == 400:
        return Outcome("failed", description)
    return Outcome("retry", description)
