"""bot/channels/telegram/errors.py: one reading of a failed Bot API call for the gateway and the
push worker. What matters most is the line between `retry` (nothing reached Telegram: sending again
is safe) and `unknown` (it may have arrived: never sent twice)."""
from __future__ import annotations

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.channels.telegram.errors import classify


def caused(error: TelegramError, cause: BaseException) -> TelegramError:
    error.__cause__ = cause
    return error


REQUEST = httpx.Request("POST", "https://api.telegram.org/bot123:secret/sendMessage")


@pytest.mark.parametrize("error, kind", [
    (RetryAfter(7), "pause"),
    (Forbidden("Forbidden: bot was blocked by the user"), "blocked"),
    (BadRequest("Bad Request: chat not found"), "failed"),
    (caused(NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("refused", request=REQUEST)), "retry"),
    (caused(TimedOut("Pool timeout"), httpx.PoolTimeout("pool", request=REQUEST)), "retry"),
    (caused(TimedOut(), httpx.ConnectTimeout("connect", request=REQUEST)), "retry"),
    (caused(TimedOut(), httpx.ReadTimeout("read", request=REQUEST)), "unknown"),
    (caused(NetworkError("httpx.RemoteProtocolError: dropped"), httpx.RemoteProtocolError("dropped", request=REQUEST)), "unknown"),
    (TimedOut(), "unknown"),
    (NetworkError("Bad Gateway"), "retry"),  # a 5xx: Telegram did not take it
])
def test_each_failure_reads_as_what_it_means(error: TelegramError, kind: str) -> None:
    assert classify(error).kind == kind


def test_flood_control_says_how_long_and_nothing_carries_the_token() -> None:
    assert classify(RetryAfter(7)).retry_after == 7.0
    failures = [classify(caused(NetworkError("x"), httpx.ConnectError("refused", request=REQUEST))),
                classify(caused(TimedOut(), httpx.ReadTimeout("read", request=REQUEST)))]
    assert all("secret" not in failure.description and "api.telegram.org" not in failure.description for failure in failures)
