"""Handoff messages (staff replies and the closing notice) delivered by the push worker against the
Telegram and WeChat API stand-ins and into the web chat's inbox: once each, in order, with two
workers racing; WeChat only inside the 48 h window; a Telegram refusal recorded for staff."""
from __future__ import annotations

import asyncio
import json
import time
from typing import Callable, List

from bot.channels.web import keys as web_keys
from bot.gateway.stores import Store
from handoff.store import CLOSING_NOTICE, HandoffStore, Message
from tests.push.conftest import Bureau, Running, WeChatWithTemplates, chats, gateway_store, push_settings
from tests.standins.telegram import TelegramStandIn


def handoffs(bureau: Bureau) -> HandoffStore:
    return HandoffStore(bureau.ledger.engine, bureau.ledger.cipher)


def wait_settled(store: HandoffStore, case_id: int, timeout: float = 20.0) -> List[Message]:
    deadline = time.monotonic() + timeout
    while True:
        messages = [m for m in store.messages(case_id) if m.delivery is not None]
        if messages and all(m.delivery not in ("pending", "sending") for m in messages):
            return messages
        assert time.monotonic() < deadline, f"not delivered: {[(m.text, m.delivery) for m in messages]}"
        time.sleep(0.1)


def with_store(prefix: str, work: Callable[[Store], object]) -> object:
    async def run() -> object:
        store = gateway_store(prefix)
        try:
            return await work(store)  # type: ignore[misc]
        finally:
            await store.close()

    return asyncio.run(run())


def test_staff_replies_reach_telegram_once_each_in_order_with_two_workers(
        bureau: Bureau, telegram: TelegramStandIn, redis_prefix: str) -> None:
    store = handoffs(bureau)
    [chat, blocked] = chats(2)
    case, _ = store.open(f"tg:{chat}", "海淀区", [("graduate", "转人工")])
    gone, _ = store.open(f"tg:{blocked}", None, [("graduate", "转人工")])
    telegram.block(blocked)
    texts = [f"第{n}条：你好，我是海淀区就业服务中心的工作人员。" for n in range(1, 6)]
    for text in texts:
        store.reply(case.id, "haidian", text)
    store.reply(gone.id, "city1", "你好")
    store.close(case.id, "haidian", notify=True)
    settings = push_settings(bureau, redis_prefix, telegram=telegram)
    with Running(settings), Running(settings):
        delivered = wait_settled(store, case.id)
        refused = wait_settled(store, gone.id)
    assert [m.delivery for m in delivered] == ["sent"] * 6
    assert [s.text for s in telegram.messages(chat)] == [*texts, CLOSING_NOTICE]
    assert [(m.delivery, bool(m.last_error)) for m in refused] == [("blocked", True)]


def test_wechat_replies_only_inside_the_window(bureau: Bureau, wechat: WeChatWithTemplates, redis_prefix: str) -> None:
    store = handoffs(bureau)
    recent, quiet = "o_wrote_an_hour_ago", "o_silent_for_days"
    wechat.wrote(recent)
    with_store(redis_prefix, lambda s: s.set(f"wx:last_inbound:{recent}", "1", 48 * 3600))
    talking, _ = store.open(f"wx:{recent}", None, [("graduate", "转人工")])
    silent, _ = store.open(f"wx:{quiet}", None, [("graduate", "转人工")])
    store.reply(talking.id, "city1", "你好，请问你毕业几年了？")
    store.reply(silent.id, "city1", "你好，还需要帮助吗？")
    settings = push_settings(bureau, redis_prefix, wechat=wechat, template_id="TMPL_JOBFAIR")
    with Running(settings):
        [sent] = wait_settled(store, talking.id)
        [skipped] = wait_settled(store, silent.id)
    assert sent.delivery == "sent" and wechat.texts_to(recent) == ["你好，请问你毕业几年了？"]
    assert skipped.delivery == "skipped" and "48h" in (skipped.last_error or "")
    assert wechat.texts_to(quiet) == [] and wechat.templates == []  # no template stands in for a conversation


def test_web_replies_wait_in_the_pages_inbox(bureau: Bureau, redis_prefix: str) -> None:
    store = handoffs(bureau)
    session = "s" * 24
    case, _ = store.open(f"web:{session}", None, [("graduate", "转人工")])
    store.reply(case.id, "city1", "你好，我是工作人员。")
    with Running(push_settings(bureau, redis_prefix)):
        [message] = wait_settled(store, case.id)
    assert message.delivery == "sent"
    items = with_store(redis_prefix, lambda s: s.drain(web_keys.inbox(session)))
    assert [json.loads(item)["text"] for item in items] == ["你好，我是工作人员。"]  # type: ignore[union-attr]
    assert with_store(redis_prefix, lambda s: s.drain(web_keys.inbox(session))) == []
