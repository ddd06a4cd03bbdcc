"""Handoff end to end on the embedded default (no Redis, the push worker inside the gateway), through
the real Rasa: a Telegram graduate asks for a person, the assistant goes quiet, the staff reply
arrives in the chat, staff close the case, and the next question gets the assistant's answer again;
a web-chat graduate gets the staff reply through the page's inbox."""
from __future__ import annotations

import random
import secrets
import time
from pathlib import Path
from typing import Callable, List, TypeVar

import httpx
import pytest

from actions.storage import open_ledger
from db.sessions import web_identity
from devstack.stack import Stack, running_gateway
from handoff.store import CLOSING_NOTICE, HandoffStore
from tests.conftest import free_port
from tests.standins.telegram import TelegramStandIn

pytestmark = pytest.mark.stack
T = TypeVar("T")


def eventually(probe: Callable[[], T], what: str, timeout: float = 20.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.2)


def test_telegram_graduate_talks_to_staff_then_to_the_assistant_again(stack: Stack, tmp_path: Path) -> None:
    token = f"{random.randint(10**8, 10**9)}:{secrets.token_urlsafe(30)}"
    chat = random.randint(5 * 10**8, 6 * 10**8)
    cases = HandoffStore(open_ledger().engine, open_ledger().cipher)
    with TelegramStandIn(token) as telegram:
        env = {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": telegram.api_base_url, "WECHAT_TOKEN": "",
               "WEB_CHAT": "off", "REDIS_URL": "", "PUSH_IN_GATEWAY": "on", "PUSH_SCHEDULER_INTERVAL": "0.5"}
        with running_gateway(stack.rasa_url, free_port(), tmp_path, env):
            telegram.send_text(chat, "转人工")
            telegram.wait_for_text(chat, "已为你转接人工服务")
            case = eventually(lambda: cases.current(f"tg:{chat}"), "a case for the chat")

            telegram.send_text(chat, "我是2022届的，住海淀，想问档案怎么转")
            eventually(lambda: any("档案" in m.text for m in cases.messages(case.id)), "the message in the case")
            quiet = len(telegram.messages(chat))

            cases.reply(case.id, "haidian", "你好，我是海淀区就业服务中心的工作人员，档案可以转到区人才服务中心。")
            telegram.wait_for_text(chat, "档案可以转到区人才服务中心")
            assert len(telegram.messages(chat)) == quiet + 1  # the assistant said nothing in between
            eventually(lambda: cases.messages(case.id)[-1].delivery == "sent", "the reply recorded as sent")

            cases.close(case.id, "haidian", notify=True)
            telegram.wait_for_text(chat, CLOSING_NOTICE)
            telegram.send_text(chat, "见习补贴是什么")
            answer = telegram.wait_for_text(chat, "【见习补贴】")
            assert any("来源" in m.text for m in answer if "【见习补贴】" in m.text)


def test_web_graduate_gets_the_staff_reply_through_the_page(stack: Stack, tmp_path: Path) -> None:
    cases = HandoffStore(open_ledger().engine, open_ledger().cipher)
    port = free_port()
    env = {"WEB_CHAT": "on", "WECHAT_TOKEN": "", "TELEGRAM_BOT_TOKEN": "", "REDIS_URL": "", "PUSH_IN_GATEWAY": "on",
           "PUSH_SCHEDULER_INTERVAL": "0.5"}
    with running_gateway(stack.rasa_url, port, tmp_path, env), httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as page:
        page.get("/chat")
        session = page.cookies["chat_session"].split(".")[0]  # the cookie is the session id and its signature
        replies = page.post("/chat/message", json={"message": "我要找人工客服"}).json()["replies"]
        assert any("已为你转接人工服务" in r["text"] for r in replies)
        assert page.post("/chat/message", json={"message": "我想问落户的事"}).json()["replies"] == []
        case = cases.current(web_identity(session))
        assert case is not None
        cases.reply(case.id, "city1", "你好，落户问题请说一下你的学历和毕业时间。")

        def inbox() -> List[str]:
            return [m["text"] for m in page.get("/chat/inbox").json()["messages"]]

        assert eventually(inbox, "the reply in the page's inbox") == ["你好，落户问题请说一下你的学历和毕业时间。"]
        assert inbox() == []  # taken once
        assert httpx.get(f"http://127.0.0.1:{port}/chat/inbox").json() == {"messages": []}  # no session, nothing
