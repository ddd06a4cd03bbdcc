"""The push worker's settings, read once from the environment; a wrong value stops start-up with
the variable named. The database (DATABASE_URL, LEDGER_KEYS …) comes from ledger.config, the
channels (TELEGRAM_*, WECHAT_*) and REDIS_URL from bot.gateway.config: the worker reads the same
environment as the gateway, and a channel the gateway does not serve is off here too.

REDIS_URL                     shared queue and limits for several workers; absent = one worker
                              with an in-process queue (the embedded default)
PUSH_KEY_PREFIX               prefix of the worker's Redis keys (push:)
PUSH_STORE_PREFIX             prefix of the gateway's Store keys (gw:, as the gateway uses)
WECHAT_TEMPLATE_ID            template for users outside the 48 h window; absent = they are skipped
WECHAT_TEMPLATE_DAILY_QUOTA   template messages per day (100000)
PUSH_CONCURRENCY              sends in flight per channel and worker (16)
PUSH_MAX_ATTEMPTS             tries of a delivery before it is `failed` (5)
PUSH_BACKOFF_SECONDS          first retry delay, doubled each time (30)
PUSH_HTTP_TIMEOUT             seconds one API call may take (10)
PUSH_SENDING_TIMEOUT          a delivery `sending` this long belongs to a dead worker: `unknown` (120)
PUSH_CLAIM_IDLE               seconds before a dead worker's queued messages are taken over (60)
PUSH_SCHEDULER_INTERVAL       how often ready / due broadcasts are looked for (2)
PUSH_RECONCILE_INTERVAL       how often owed deliveries are checked against the queue (10)
PUSH_RECONCILE_GRACE          a just-started broadcast is left to its fan-out this long (30)
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping, Optional

from bot.gateway.config import GatewayConfigError, TelegramSettings, WeChatSettings
from bot.gateway.config import settings_from_env as gateway_settings
from ledger.config import LedgerConfigError, LedgerSettings
from ledger.config import settings_from_env as ledger_settings


class PushConfigError(Exception):
    """A push setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Timing:
    concurrency: int = 16
    max_attempts: int = 5
    backoff: float = 30.0
    http_timeout: float = 10.0
    sending_timeout: float = 120.0
    claim_idle: float = 60.0
    scheduler_interval: float = 2.0
    reply_interval: float = 1.0
    reconcile_interval: float = 10.0
    reconcile_grace: float = 30.0
    fan_out_lease: float = 300.0


@dataclass(frozen=True)
class PushSettings:
    ledger: LedgerSettings
    redis_url: Optional[str] = None
    telegram: Optional[TelegramSettings] = None
    wechat: Optional[WeChatSettings] = None
    key_prefix: str = "push:"
    store_prefix: str = "gw:"
    template_id: Optional[str] = None
    template_daily_quota: int = 100_000
    timing: Timing = field(default_factory=Timing)


def settings_from_env(env: Optional[Mapping[str, str]] = None) -> PushSettings:
    env = os.environ if env is None else env
    try:
        gateway = gateway_settings(env)
        ledger = ledger_settings(env)
    except (GatewayConfigError, LedgerConfigError) as error:
        raise PushConfigError(str(error)) from None
    timing = Timing(
        concurrency=int(_number(env, "PUSH_CONCURRENCY", 16, whole=True)),
        max_attempts=int(_number(env, "PUSH_MAX_ATTEMPTS", 5, whole=True)),
        backoff=_number(env, "PUSH_BACKOFF_SECONDS", 30.0),
        http_timeout=_number(env, "PUSH_HTTP_TIMEOUT", 10.0),
        sending_timeout=_number(env, "PUSH_SENDING_TIMEOUT", 120.0),
        claim_idle=_number(env, "PUSH_CLAIM_IDLE", 60.0),
        scheduler_interval=_number(env, "PUSH_SCHEDULER_INTERVAL", 2.0),
        reconcile_interval=_number(env, "PUSH_RECONCILE_INTERVAL", 10.0),
        reconcile_grace=_number(env, "PUSH_RECONCILE_GRACE", 30.0),
    )
    if timing.sending_timeout <= timing.http_timeout + 1:
        raise PushConfigError("PUSH_SENDING_TIMEOUT: must be longer than PUSH_HTTP_TIMEOUT + 1 s, "
                              "or deliveries still on their way would be called `unknown`")
    return PushSettings(
        ledger=ledger,
        redis_url=gateway.redis_url,
        telegram=gateway.telegram,
        wechat=gateway.wechat,
        key_prefix=_prefix(env, "PUSH_KEY_PREFIX", "push:"),
        store_prefix=_prefix(env, "PUSH_STORE_PREFIX", "gw:"),
        template_id=env.get("WECHAT_TEMPLATE_ID") or None,
        template_daily_quota=int(_number(env, "WECHAT_TEMPLATE_DAILY_QUOTA", 100_000, whole=True, zero=True)),
        timing=timing,
    )


def _number(env: Mapping[str, str], name: str, default: float, whole: bool = False, zero: bool = False) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        raise PushConfigError(f"{name}: expected a {'whole ' if whole else ''}number, got {raw!r}") from None
    if value < 0 or (value == 0 and not zero):
        raise PushConfigError(f"{name}: must be {'zero or more' if zero else 'positive'}, got {raw!r}")
    return value


def _prefix(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    if not value.endswith(":") or any(c.isspace() for c in value):
        raise PushConfigError(f"{name}: a key prefix ending in ':' without spaces, got {value!r}")
    return value
