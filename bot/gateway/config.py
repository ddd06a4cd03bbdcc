"""Gateway settings, read once from the environment; a wrong value stops start-up with the
variable named. A channel whose settings are absent is off.

GATEWAY_HOST / GATEWAY_PORT   where the gateway listens (127.0.0.1:8080)
RASA_URL                      Rasa's REST channel, loopback or internal network (http://127.0.0.1:5005);
                              several replicas comma-separated (docs/deployment.md: routing, failover)
REDIS_URL                     shared state for several replicas; absent = in-process stores
WECHAT_TOKEN                  WeChat on; with WECHAT_APP_ID, WECHAT_APP_SECRET (customer-service API)
WECHAT_AES_KEY                safe mode (43-character EncodingAESKey); absent = plaintext mode
WECHAT_API_BASE_URL           https://api.weixin.qq.com (a stand-in in tests)
TELEGRAM_BOT_TOKEN            Telegram on
TELEGRAM_API_BASE_URL         https://api.telegram.org/bot (a self-hosted Bot API server, or a stand-in)
TELEGRAM_WEBHOOK_URL          webhook mode (needs TELEGRAM_WEBHOOK_SECRET); absent = long polling
TELEGRAM_WEBHOOK_SECRET       1–256 characters of A-Z a-z 0-9 _ -
WEB_CHAT                      "off" turns the web chat page off (on by default)
WEB_CHAT_SESSION_LIMIT        messages one web chat session may send, COUNT/SECONDS (20/60)
WEB_CHAT_ADDRESS_LIMIT        messages the web chat takes from one client address, COUNT/SECONDS (60/60);
                              the address is the one the trusted proxies name (FORWARDED_ALLOW_IPS, __main__.py)
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from bot.gateway.limits import Rate

WEB_SESSION_LIMIT = Rate(20, 60)  # messages per seconds of one web session
WEB_ADDRESS_LIMIT = Rate(60, 60)  # of one client address


class GatewayConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class WeChatSettings:
    token: str
    app_id: str
    app_secret: str
    aes_key: Optional[str]
    api_base_url: str = "https://api.weixin.qq.com"


@dataclass(frozen=True)
class TelegramSettings:
    bot_token: str
    api_base_url: str = "https://api.telegram.org/bot"
    webhook_url: Optional[str] = None
    webhook_secret: Optional[str] = None


@dataclass(frozen=True)
class GatewaySettings:
    host: str = "127.0.0.1"
    port: int = 8080
    rasa_urls: Tuple[str, ...] = ("http://127.0.0.1:5005",)
    redis_url: Optional[str] = None
    wechat: Optional[WeChatSettings] = None
    telegram: Optional[TelegramSettings] = None
    web: bool = True
    web_session_limit: Rate = WEB_SESSION_LIMIT
    web_address_limit: Rate = WEB_ADDRESS_LIMIT
    # WeChat waits 5 s; the passive reply must be on its way before that
    reply_deadline: float = 4.0

    @property
    def rasa_url(self) -> str:
        """The Rasa replicas as RASA_URL lists them (for logs and messages)."""
        return ",".join(self.rasa_urls)

    def channels_on(self) -> List[str]:
        return [name for name, on in (("wechat", self.wechat), ("telegram", self.telegram), ("web", self.web)) if on]


def settings_from_env(env: Optional[Mapping[str, str]] = None) -> GatewaySettings:
    env = os.environ if env is None else env
    return GatewaySettings(
        host=env.get("GATEWAY_HOST") or "127.0.0.1",
        port=_port(env.get("GATEWAY_PORT")),
        rasa_urls=_rasa_urls(env.get("RASA_URL") or "http://127.0.0.1:5005"),
        redis_url=_url("REDIS_URL", env["REDIS_URL"], ("redis://", "rediss://", "unix://")) if env.get("REDIS_URL") else None,
        wechat=_wechat(env),
        telegram=_telegram(env),
        web=(env.get("WEB_CHAT") or "on").lower() not in ("off", "0", "false", "no"),
        web_session_limit=_rate("WEB_CHAT_SESSION_LIMIT", env.get("WEB_CHAT_SESSION_LIMIT") or "20/60"),
        web_address_limit=_rate("WEB_CHAT_ADDRESS_LIMIT", env.get("WEB_CHAT_ADDRESS_LIMIT") or "60/60"),
    )


def _port(raw: Optional[str]) -> int:
    if not raw:
        return 8080
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise GatewayConfigError(f"GATEWAY_PORT: expected a port number 1–65535, got {raw!r}")
    return int(raw)


def _rate(name: str, raw: str) -> Rate:
    match = re.fullmatch(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*", raw)
    if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        raise GatewayConfigError(f"{name}: expected COUNT/SECONDS such as 20/60 (both at least 1), got {raw!r}")
    return Rate(int(match.group(1)), float(match.group(2)))


def _url(name: str, value: str, schemes: tuple = ("http://", "https://")) -> str:
    if not value.startswith(schemes):
        raise GatewayConfigError(f"{name}: expected a URL starting with {' or '.join(schemes)}, got {value!r}")
    return value.rstrip("/")


def _rasa_urls(raw: str) -> Tuple[str, ...]:
    urls = tuple(_url("RASA_URL", part.strip()) for part in raw.split(","))
    if any(not urlsplit(url).hostname for url in urls):
        raise GatewayConfigError(f"RASA_URL: an empty host in {raw!r} (replicas are separated by single commas)")
    if len(set(urls)) != len(urls):
        raise GatewayConfigError(f"RASA_URL: a replica is listed twice in {raw!r}")
    return urls


def _wechat(env: Mapping[str, str]) -> Optional[WeChatSettings]:
    token = env.get("WECHAT_TOKEN")
    if not token:
        return None
    if not re.fullmatch(r"[A-Za-z0-9]{3,32}", token):
        raise GatewayConfigError("WECHAT_TOKEN: 3–32 letters or digits, as set in the WeChat admin console")
    for name in ("WECHAT_APP_ID", "WECHAT_APP_SECRET"):
        if not env.get(name):
            raise GatewayConfigError(f"{name}: required when WECHAT_TOKEN is set (late answers go through the customer-service API)")
    aes_key = env.get("WECHAT_AES_KEY") or None
    if aes_key is not None and not re.fullmatch(r"[A-Za-z0-9]{43}", aes_key):
        raise GatewayConfigError("WECHAT_AES_KEY: the EncodingAESKey is 43 letters or digits")
    base = _url("WECHAT_API_BASE_URL", env.get("WECHAT_API_BASE_URL") or "https://api.weixin.qq.com")
    return WeChatSettings(token, env["WECHAT_APP_ID"], env["WECHAT_APP_SECRET"], aes_key, base)


def _telegram(env: Mapping[str, str]) -> Optional[TelegramSettings]:
    token = env.get("TELEGRAM_BOT_TOKEN")
    if not token:
        return None
    if not re.fullmatch(r"\d+:[A-Za-z0-9_-]{20,}", token):
        raise GatewayConfigError("TELEGRAM_BOT_TOKEN: expected '<bot id>:<secret>' as given by @BotFather")
    base = _url("TELEGRAM_API_BASE_URL", env.get("TELEGRAM_API_BASE_URL") or "https://api.telegram.org/bot")
    webhook = env.get("TELEGRAM_WEBHOOK_URL") or None
    secret = env.get("TELEGRAM_WEBHOOK_SECRET") or None
    if webhook:
        webhook = _url("TELEGRAM_WEBHOOK_URL", webhook, ("https://", "http://"))
        if not secret:
            raise GatewayConfigError("TELEGRAM_WEBHOOK_SECRET: required with TELEGRAM_WEBHOOK_URL")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise GatewayConfigError("TELEGRAM_WEBHOOK_SECRET: 1–256 characters of A-Z a-z 0-9 _ -")
    return TelegramSettings(token, base, webhook, secret)
