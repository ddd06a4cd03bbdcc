"""The embedded default end to end: no Redis, the push worker inside the gateway. A graduate
subscribes in Telegram chat, staff publish and broadcast a fair, the fair arrives in the chat.

The action server, Rasa and the gateway run on a ledger of this test's own (a SQLite file, as
embedded): on the session's ledger the gateway's worker would first work through whatever other
tests left pending there (broadcasts, deliveries, handoff messages)."""
from __future__ import annotations

import os
import random
import secrets
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select

from db.tables import deliveries
from devstack.stack import Stack, running_gateway, running_stack
from ledger.config import settings_from_env
from ledger.store import Ledger
from notices.model import Notice
from notices.store import NoticeStore
from tests.conftest import free_port
from tests.standins.telegram import TelegramStandIn

pytestmark = pytest.mark.stack
FAIR = "石景山区秋季专场招聘会（测试）"


@pytest.fixture
def own_ledger(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"


@pytest.fixture
def own_stack(model: Path, stack_kb_dir: Path, own_ledger: str, tmp_path: Path) -> Iterator[Stack]:
    """Rasa and an action server whose ledger is `own_ledger`."""
    env = {"POLICY_KB_DIR": str(stack_kb_dir), "DATABASE_URL": own_ledger}
    with running_stack(model, free_port(), free_port(), tmp_path / "stack", env=env) as running:
        yield running


def test_subscribe_in_chat_then_the_broadcast_arrives_once(own_stack: Stack, own_ledger: str, tmp_path: Path) -> None:
    token = f"{random.randint(10**8, 10**9)}:{secrets.token_urlsafe(30)}"
    chat = random.randint(3 * 10**8, 4 * 10**8)
    ledger = Ledger.open(settings_from_env({**os.environ, "DATABASE_URL": own_ledger}))
    try:
        with TelegramStandIn(token) as telegram:
            env = {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": telegram.api_base_url, "WECHAT_TOKEN": "",
                   "WEB_CHAT": "off", "REDIS_URL": "", "PUSH_IN_GATEWAY": "on", "PUSH_SCHEDULER_INTERVAL": "0.5",
                   "DATABASE_URL": own_ledger}
            with running_gateway(own_stack.rasa_url, free_port(), tmp_path, env):
                telegram.send_text(chat, "订阅石景山区的招聘会")
                telegram.wait_for_text(chat, "石景山")
                store = NoticeStore(ledger.engine)
                assert [s.kind for s in store.subscriptions_of(f"tg:{chat}")] == ["fair"]
                today = date.today()
                notice_id = store.create(Notice("fair", FAIR, "示例", today, today + timedelta(days=5), "staff1",
                                                district="石景山区", event_date=today + timedelta(days=1), place="石景山区示例会场"))
                store.publish(notice_id)
                broadcast = store.create_broadcast(notice_id, "staff1")
                sent = telegram.wait_for_text(chat, FAIR, timeout=20)
                assert len([m for m in sent if FAIR in m.text]) == 1
                # the stand-in has the message before the worker records it: wait for the record
                assert wait_for_status(store, broadcast, f"tg:{chat}") == "sent"
                assert store.report(broadcast) == {"tg": {"sent": 1}}  # the ledger is this test's alone
    finally:
        ledger.close()


def wait_for_status(store: NoticeStore, broadcast: int, identity: str, timeout: float = 15.0) -> str:
    """The delivery's status once it is final."""
    query = select(deliveries.c.status).where(deliveries.c.broadcast_id == broadcast, deliveries.c.identity == identity)
    deadline = time.monotonic() + timeout
    while True:
        with store.engine.begin() as conn:
            status = str(conn.execute(query).scalar())
        if status not in ("pending", "sending") or time.monotonic() > deadline:
            return status
        time.sleep(0.2)
