"""The store keys a channel builds (bot/channels/<channel>/keys.py) are the ones the push worker
reads and writes: a recipient marked inactive by the gateway is skipped by the worker, and the
other way round, with one convention (the Unix time, kept a year)."""
from __future__ import annotations

from bot.channels.telegram import keys as telegram_keys
from bot.channels.wechat import keys as wechat_keys
from push.worker import inactive_key


def test_the_worker_marks_and_reads_the_channels_own_inactive_keys() -> None:
    assert inactive_key("tg", "42") == telegram_keys.inactive(42) == "tg:inactive:42"
    assert inactive_key("wx", "o_abc") == wechat_keys.inactive("o_abc") == "wx:inactive:o_abc"
    assert inactive_key("web", "3f2a") is None  # a web page cannot block the bot
    assert telegram_keys.INACTIVE_TTL == wechat_keys.INACTIVE_TTL == 365 * 24 * 3600


def test_a_wechat_claim_and_its_lease_and_reply_keys() -> None:
    claim = wechat_keys.claim("o_abc", "msg:6021")
    assert claim == "wx:msg:o_abc:6021"
    assert wechat_keys.claim("o_abc", "event:1700000000:subscribe") == "wx:event:o_abc:1700000000:subscribe"
    assert (wechat_keys.lease(claim, "gw-1"), wechat_keys.reply(claim)) == ("wx:msg:o_abc:6021:lease:gw-1", "wx:msg:o_abc:6021:reply")

