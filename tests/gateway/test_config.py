"""Gateway settings: read once from the environment, a bad value names its variable, an absent
channel is off."""
from __future__ import annotations

import subprocess
import sys

import pytest

from bot.gateway.config import GatewayConfigError, settings_from_env
from bot.gateway.limits import Rate
from devstack.stack import ROOT

TG = "123456789:AAAbbbCCCdddEEEfffGGGhhh"
WX = {"WECHAT_TOKEN": "tok123", "WECHAT_APP_ID": "wx123", "WECHAT_APP_SECRET": "s3cret"}


def test_defaults_turn_on_only_the_web_chat() -> None:
    settings = settings_from_env({})
    assert (settings.host, settings.port, settings.rasa_url) == ("127.0.0.1", 8080, "http://127.0.0.1:5005")
    assert settings.channels_on() == ["web"] and settings.redis_url is None


def test_web_chat_limits_are_count_per_seconds() -> None:
    assert (str(settings_from_env({}).web_session_limit), str(settings_from_env({}).web_address_limit)) == ("20/60", "60/60")
    settings = settings_from_env({"WEB_CHAT_SESSION_LIMIT": "10/30", "WEB_CHAT_ADDRESS_LIMIT": " 600 / 60 "})
    assert settings.web_session_limit == Rate(10, 30) and settings.web_address_limit.per_second == 10.0


def test_rasa_url_may_list_several_replicas() -> None:
    settings = settings_from_env({"RASA_URL": "http://127.0.0.1:5005, http://127.0.0.1:5006/"})
    assert settings.rasa_urls == ("http://127.0.0.1:5005", "http://127.0.0.1:5006")
    assert settings.rasa_url == "http://127.0.0.1:5005,http://127.0.0.1:5006"


def test_each_channel_turns_on_with_its_settings() -> None:
    settings = settings_from_env({**WX, "WECHAT_AES_KEY": "a" * 43, "TELEGRAM_BOT_TOKEN": TG, "WEB_CHAT": "off",
                                  "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert settings.channels_on() == ["wechat", "telegram"]
    assert settings.wechat is not None and settings.wechat.aes_key == "a" * 43
    assert settings.telegram is not None and settings.telegram.webhook_url is None  # long polling


@pytest.mark.parametrize("env, variable", [
    ({"GATEWAY_PORT": "eighty"}, "GATEWAY_PORT"),
    ({"GATEWAY_PORT": "70000"}, "GATEWAY_PORT"),
    ({"RASA_URL": "localhost:5005"}, "RASA_URL"),
    ({"RASA_URL": "http://127.0.0.1:5005,localhost:5006"}, "RASA_URL"),
    ({"RASA_URL": "http://127.0.0.1:5005,,http://127.0.0.1:5006"}, "RASA_URL"),
    ({"RASA_URL": "http://127.0.0.1:5005,"}, "RASA_URL"),
    ({"RASA_URL": "http://127.0.0.1:5005,http://"}, "RASA_URL"),
    ({"RASA_URL": "http://127.0.0.1:5005,http://127.0.0.1:5005/"}, "RASA_URL"),
    ({"REDIS_URL": "http://x"}, "REDIS_URL"),
    ({"WECHAT_TOKEN": "tok123"}, "WECHAT_APP_ID"),
    ({**WX, "WECHAT_APP_SECRET": ""}, "WECHAT_APP_SECRET"),
    ({**WX, "WECHAT_AES_KEY": "short"}, "WECHAT_AES_KEY"),
    ({**WX, "WECHAT_TOKEN": "bad token!"}, "WECHAT_TOKEN"),
    ({"TELEGRAM_BOT_TOKEN": "nope"}, "TELEGRAM_BOT_TOKEN"),
    ({"TELEGRAM_BOT_TOKEN": TG, "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook"}, "TELEGRAM_WEBHOOK_SECRET"),
    ({"TELEGRAM_BOT_TOKEN": TG, "TELEGRAM_WEBHOOK_SECRET": "has spaces"}, "TELEGRAM_WEBHOOK_SECRET"),
    ({"TELEGRAM_BOT_TOKEN": TG, "TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL"),
    ({"WEB_CHAT_SESSION_LIMIT": "20"}, "WEB_CHAT_SESSION_LIMIT"),
    ({"WEB_CHAT_SESSION_LIMIT": "0/60"}, "WEB_CHAT_SESSION_LIMIT"),
    ({"WEB_CHAT_ADDRESS_LIMIT": "60/0"}, "WEB_CHAT_ADDRESS_LIMIT"),
    ({"WEB_CHAT_ADDRESS_LIMIT": "1.5/60"}, "WEB_CHAT_ADDRESS_LIMIT"),
])
def test_a_bad_setting_names_its_variable(env: dict, variable: str) -> None:
    with pytest.raises(GatewayConfigError, match=variable):
        settings_from_env(env)


def test_the_gateway_refuses_to_start_on_a_bad_setting() -> None:
    result = subprocess.run([sys.executable, "-m", "bot.gateway"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "WECHAT_TOKEN": "tok123"})
    assert result.returncode == 2
    assert "WECHAT_APP_ID" in result.stderr
