"""What a failed Bot API call means, for every sender (the gateway's answers, the push worker's
notices): one reading of python-telegram-bot's errors.

  pause    flood control (429): nothing goes out for `retry_after` seconds
  blocked  403: the user blocked the bot; nothing more is sent to that chat
  failed   400: this message was refused (chat not found, text refused …); sending it again won't help
  retry    not sent: Telegram unreachable (no connection made), a 5xx, anything else
  unknown  sent, but no answer came (read timeout, dropped connection): it may have arrived, so it
           is not sent twice

Descriptions are Telegram's own words, never a URL (the bot token is in every API URL)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import timedelta

import httpx
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

# failures before anything reached Telegram: safe to send again
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class Failure:
    kind: str  # pause | blocked | failed | retry | unknown
    description: str
    retry_after: float = 0.0


def classify(error: TelegramError) -> Failure:
    description = str(error.message)[:150]
    if isinstance(error, RetryAfter):
        return Failure("pause", description, seconds(error))
    if isinstance(error, Forbidden):
        return Failure("blocked", description)
    if isinstance(error, BadRequest):
        return Failure("failed", description)
    cause = error.__cause__
    if isinstance(error, (TimedOut, NetworkError)) and isinstance(cause, httpx.HTTPError):
        if isinstance(cause, NOT_SENT):
            return Failure("retry", f"Telegram unreachable ({type(cause).__name__})")
        return Failure("unknown", f"no answer from Telegram ({type(cause).__name__}); it may have arrived")
    if isinstance(error, TimedOut):
        return Failure("unknown", "no answer from Telegram (timed out); it may have arrived")
    return Failure("retry", description)


def seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds: PTB 22 gives an int or a timedelta (PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
