"""The embedded default end to end: no Redis, the push worker inside the gateway. A graduate
subscribes in Telegram chat, staff publish and broadcast a fair, the fair arrives in the chat."""
from __future__ import annotations

import random
import secrets
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from actions.registration.storage import open_ledger
from bot.stack import Stack, running_gateway
from notices.db import deliveries
from notices.model import Notice
from notices.store import NoticeStore
from tests.conftest import free_port
from tests.standins.telegram import TelegramStandIn

pytestmark = pytest.mark.stack


def test_subscribe_in_chat_then_the_broadcast_arrives_once(stack: Stack, tmp_path: Path) -> None:
    token = f"{random.randint(10**8, 10**9)}:{secrets.token_urlsafe(30)}"
    chat = random.randint(3 * 10**8, 4 * 10**8)
    with TelegramStandIn(token) as telegram:
        env = {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": telegram.api_base_url, "WECHAT_TOKEN": "",
               "WEB_CHAT": "off", "REDIS_URL": "", "PUSH_IN_GATEWAY": "on", "PUSH_SCHEDULER_INTERVAL": "0.5"}
        with running_gateway(stack.rasa_url, free_port(), tmp_path, env):
            telegram.send_text(chat, "订阅石景山区的招聘会")
            telegram.wait_for_text(chat, "石景山")
            store = NoticeStore(open_ledger().engine)
            assert [s.kind for s in store.subscriptions_of(f"tg:{chat}")] == ["fair"]
            today = date.today()
            notice_id = store.create(Notice("fair", "石景山区秋季专场招聘会（测试）", "示例", today, today + timedelta(days=5),
                                            "staff1", district="石景山区", event_date=today + timedelta(days=1), place="石景山区示例会场"))
            store.publish(notice_id)
            broadcast = store.create_broadcast(notice_id, "staff1")
            # the embedded worker may first work through other tests' pending deliveries in the session ledger
            sent = telegram.wait_for_text(chat, "石景山区秋季专场招聘会（测试）", timeout=90)
            assert len([m for m in sent if "石景山区秋季专场招聘会（测试）" in m.text]) == 1
            # the stand-in has the message before the worker records it: wait for the record
            assert wait_for_status(store, broadcast, f"tg:{chat}") == "sent"


def wait_for_status(store: NoticeStore, broadcast: int, identity: str, timeout: float = 15.0) -> str:
    """The delivery's status once it is final (the session's ledger holds other tests' subscribers
    too, so only this chat's delivery is looked at)."""
    query = select(deliveries.c.status).where(deliveries.c.broadcast_id == broadcast, deliveries.c.identity == identity)
    deadline = time.monotonic() + timeout
    while True:
        with store.engine.begin() as conn:
            status = str(conn.execute(query).scalar())
        if status not in ("pending", "sending") or time.monotonic() > deadline:
            return status
        time.sleep(0.2)
