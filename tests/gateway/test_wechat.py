"""The WeChat channel.

Unit: inbound checks (signatures, timestamps, nonces, hostile XML, safe mode), rendering (numbered
choices, 2000-byte pieces), the menu file. Against the WeChat API stand-in: the client (one token
for all replicas, refresh on 40001, giving up on 45015/45047, no URL in logs), the menu command,
and the channel in-process with a scripted assistant (long answers, an assistant that fails).
End to end: gateway processes (plaintext, safe mode, two replicas on Redis) in front of the real
Rasa stack, fed the raw pushes WeChat's servers send."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import httpx
import pytest
from starlette.testclient import TestClient

from bot.app import create_app
from bot.channels.wechat import channel as wechat_channel
from bot.channels.wechat.client import WeChatClient
from bot.channels.wechat.inbound import PushReader, Rejected, Resent, parse_xml
from bot.channels.wechat.keys import ACCESS_TOKEN
from bot.channels.wechat.menu import MenuError, load_menu
from bot.channels.wechat.render import MAX_BYTES, passive_text, render
from bot.gateway.assistant import SORRY, AssistantUnavailable
from bot.gateway.config import GatewaySettings, WeChatSettings
from bot.gateway.replies import Button, Reply
from bot.gateway.stores import MemoryStore
from devstack.stack import ROOT, Stack, running_gateway
from tests.conftest import free_port
from tests.standins.wechat import WeChatAPIStandIn, WeChatPushes

TOKEN = "gwTestToken42"
APP_ID = "wx5f3c0a9e1d2b4c6a"
APP_SECRET = "3c9d0f7a1b2e4c6d8e0f1a2b3c4d5e6f"
AES_KEY = "kF3p9QzR7sT1uV5wX2yZ4aB6cD8eF0gH1iJ3kL5mN7o"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
XML = {"content-type": "text/xml"}

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><ToUserName>gh_x</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>gh_x</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&e;</Content><MsgId>2</MsgId></xml>"
)


def new_openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


def settings(base_url: str = "http://127.0.0.1:9", aes_key: Optional[str] = None) -> WeChatSettings:
    return WeChatSettings(TOKEN, APP_ID, APP_SECRET, aes_key, base_url)


@pytest.fixture(scope="module")
def api() -> Iterator[WeChatAPIStandIn]:
    """The WeChat API stand-in, shared by the module (tests tell their messages apart by openid)."""
    with WeChatAPIStandIn(APP_ID, APP_SECRET) as standin:
        yield standin


# ---------------------------------------------------------------- inbound (unit)


def open_push(reader: PushReader, params: Dict[str, str], body: bytes) -> Any:
    return asyncio.run(reader.open(params, body))


def test_url_verification_echoes_only_a_signed_echostr() -> None:
    reader = PushReader(settings(), MemoryStore())
    pushes = WeChatPushes(TOKEN, APP_ID)
    assert reader.verify_url(pushes.url_check("7294816350")) == "7294816350"
    forged = {**pushes.url_check("7294816350"), "signature": "0" * 40}
    with pytest.raises(Rejected) as refused:
        reader.verify_url(forged)
    assert refused.value.status == 403
    with pytest.raises(Rejected):
        reader.verify_url(WeChatPushes("otherToken", APP_ID).url_check("7294816350"))


@pytest.mark.parametrize("case, status", [
    ("bad signature", 403),
    ("other token", 403),
    ("stale timestamp", 403),
    ("future timestamp", 403),
    ("no nonce", 403),
    ("malformed", 400),
    ("xxe", 400),
    ("billion laughs", 400),
    ("not a message", 400),
    ("odd openid", 400),
])
def test_plaintext_push_refusals(case: str, status: int) -> None:
    pushes = WeChatPushes(TOKEN, APP_ID)
    openid = new_openid()
    xml = pushes.text(openid, "见习补贴怎么申请")
    params, body = pushes.signed(xml)
    if case == "bad signature":
        params["signature"] = params["signature"][::-1]
    elif case == "other token":
        params, body = WeChatPushes("otherToken", APP_ID).signed(xml)
    elif case == "stale timestamp":
        params, body = pushes.signed(xml, timestamp=int(time.time()) - 301)
    elif case == "future timestamp":
        params, body = pushes.signed(xml, timestamp=int(time.time()) + 301)
    elif case == "no nonce":
        params["nonce"] = ""
    elif case == "malformed":
        params, body = pushes.signed(xml[:-4])
    elif case == "xxe":
        params, body = pushes.signed(XXE.format(openid=openid))
    elif case == "billion laughs":
        params, body = pushes.signed(BILLION_LAUGHS.format(openid=openid))
    elif case == "not a message":
        params, body = pushes.signed("<html><body>hi</body></html>")
    elif case == "odd openid":
        params, body = pushes.signed(pushes.text("o]]><x>", "hi"))
    with pytest.raises(Rejected) as refused:
        open_push(PushReader(settings(), MemoryStore()), params, body)
    assert refused.value.status == status, refused.value.reason


def test_a_nonce_is_good_once_and_an_identical_resend_is_only_acknowledged() -> None:
    reader = PushReader(settings(), MemoryStore())
    pushes = WeChatPushes(TOKEN, APP_ID)
    params, body = pushes.signed(pushes.text(new_openid(), "你好"))
    assert open_push(reader, params, body).text == "你好"
    with pytest.raises(Resent):
        open_push(reader, params, body)
    # plaintext signatures do not cover the body: a captured query with another body is refused
    _, other_body = pushes.signed(pushes.text(new_openid(), "别的内容"))
    with pytest.raises(Rejected) as refused:
        open_push(reader, params, other_body)
    assert (refused.value.status, refused.value.reason) == (403, "replayed nonce")


def test_kinds_and_dedupe_keys() -> None:
    reader = PushReader(settings(), MemoryStore())
    pushes = WeChatPushes(TOKEN, APP_ID)
    openid = new_openid()

    def inbound(xml: str) -> Any:
        return open_push(reader, *pushes.signed(xml))

    text = inbound(pushes.text(openid, "见习补贴", msg_id=6021))
    assert (text.kind, text.text, text.openid, text.account) == ("text", "见习补贴", openid, pushes.account)
    assert text.dedupe_key == f"wx:msg:{openid}:6021"
    voice = inbound(pushes.voice(openid, "社保补贴怎么领"))
    assert (voice.kind, voice.text) == ("voice", "社保补贴怎么领")
    subscribe = inbound(pushes.event(openid, "subscribe", create_time=1700000000))
    assert (subscribe.kind, subscribe.dedupe_key) == ("subscribe", f"wx:event:{openid}:1700000000:subscribe")
    assert inbound(pushes.event(openid, "subscribe", key="qrscene_job_fair")).kind == "subscribe"
    assert inbound(pushes.event(openid, "unsubscribe")).kind == "unsubscribe"
    click = inbound(pushes.event(openid, "CLICK", key="POLICY_LIST"))
    assert (click.kind, click.text) == ("click", "POLICY_LIST")
    assert inbound(pushes.event(openid, "VIEW", key="https://example.org/")).kind == "event"
    assert inbound(pushes.image(openid)).kind == "other"


def test_safe_mode_decrypts_and_refuses_what_is_not_wechats() -> None:
    reader = PushReader(settings(aes_key=AES_KEY), MemoryStore())
    pushes = WeChatPushes(TOKEN, APP_ID, AES_KEY)
    openid = new_openid()
    message = open_push(reader, *pushes.signed(pushes.text(openid, "你好")))
    assert (message.kind, message.text, message.openid) == ("text", "你好", openid)

    def refused(params: Dict[str, str], body: bytes) -> int:
        with pytest.raises(Rejected) as error:
            open_push(reader, params, body)
        return error.value.status

    params, body = pushes.signed(pushes.text(openid, "你好"))
    assert refused({**params, "msg_signature": "f" * 40}, body) == 403
    assert refused(*WeChatPushes(TOKEN, APP_ID).signed(pushes.text(openid, "明文"))) == 403
    assert refused(*WeChatPushes(TOKEN, "wx0000000000000000", AES_KEY).signed(pushes.text(openid, "别的公众号"))) == 403
    assert refused(*pushes.signed(XXE.format(openid=openid))) == 400
    assert refused(*pushes.signed(BILLION_LAUGHS.format(openid=openid))) == 400


def test_safe_mode_seals_the_passive_reply() -> None:
    reader = PushReader(settings(aes_key=AES_KEY), MemoryStore())
    sealed = reader.seal(passive_text("gh_test", "oUser", "你好，回复数字选择"), "12345")
    assert "你好" not in sealed
    fields = WeChatPushes(TOKEN, APP_ID, AES_KEY).open_reply(sealed.encode("utf-8"))
    assert (fields["Content"], fields["ToUserName"], fields["FromUserName"]) == ("你好，回复数字选择", "oUser", "gh_test")


# ---------------------------------------------------------------- render (unit)


def test_buttons_become_numbered_choices_across_replies() -> None:
    replies = [
        Reply("【见习补贴】见习单位获得剩余见习期限的见习补贴。"),
        Reply("还想了解：", (Button("我能享受吗", "/check_eligibility"), Button("去哪里办", "/ask_institution"))),
        Reply("也可以：", (Button("政策清单", "/ask_policy"),)),
        Reply("想了解什么？", (Button("求助途径", "/ask_help_routes"),)),
    ]
    (text,) = render(replies)
    assert "还想了解（回复数字选择）：\n1. 我能享受吗\n2. 去哪里办" in text
    assert "也可以（回复数字选择）：\n3. 政策清单" in text
    assert text.endswith("想了解什么？\n回复数字选择：\n4. 求助途径")


def test_choices_the_text_already_numbers_are_not_repeated() -> None:
    listed = Reply("政策清单（回复序号或名称看详情）：\n1. 社保补贴\n2. 就业见习",
                   (Button("社保补贴", "/ask_policy"), Button("就业见习", "/ask_policy")))
    assert render([listed]) == [listed.text]
    # numbered, but not these choices: the choices are listed after it
    routes = Reply("求助途径：\n1. 12333人社服务热线\n2. 所在区人社局", (Button("查服务机构", "/ask_institution"),))
    assert render([routes])[0].endswith("回复数字选择：\n1. 查服务机构")


def test_long_answers_are_cut_into_pieces_of_at_most_2000_bytes() -> None:
    link = "http://fuwu.rsj.beijing.gov.cn/bjdkhy/bysjycy/"
    text = "\n".join(f"{i}. 北京毕业生就业创业服务平台，常态化发布岗位信息 {link}" for i in range(1, 80))
    pieces = render([Reply(text)], prefix="欢迎关注！")
    assert len(pieces) > 2
    assert all(len(p.encode("utf-8")) <= MAX_BYTES for p in pieces)
    assert "\n".join(pieces) == "欢迎关注！\n\n" + text
    assert all(link in line for p in pieces for line in p.split("\n")[1:] if line)


def test_passive_text_survives_a_cdata_terminator() -> None:
    xml = passive_text("gh_test", "oUser", "a]]>b <c> & d")
    assert parse_xml(xml.encode("utf-8"))["Content"] == "a]]>b <c> & d"


# ---------------------------------------------------------------- menu (unit + command)


def test_menu_file_maps_click_keys_to_payloads() -> None:
    menu = load_menu()
    assert menu.payloads == {
        "POLICY_LIST": "/ask_policy", "REGISTER": "/register", "HELP_ROUTES": "/ask_help_routes",
        "INSTITUTIONS": "/ask_institution", "MEASURES": "/list_measures", "HELP": "/help",
    }
    buttons = menu.wechat["button"]
    assert len(buttons) <= 3 and all(len(b.get("sub_button", [])) <= 5 for b in buttons)


@pytest.mark.parametrize("menu_yaml, message", [
    ("menu: [{name: 一, key: A, payload: /a}, {name: 二, key: B, payload: /b}, {name: 三, key: C, payload: /c},"
     " {name: 四, key: D, payload: /d}]", "1–3 top-level entries"),
    ("menu: [{name: 政策, items: [" + ", ".join(f"{{name: n{i}, key: K{i}, payload: /p}}" for i in range(6)) + "]}]",
     "'items' must list 1–5 entries"),
    ("menu: [{name: 政策, key: " + "K" * 129 + ", payload: /p}]", "key is 129 bytes; WeChat allows 128"),
    ("menu: [{name: 政策, key: A, payload: /p}, {name: 帮助, key: A, payload: /q}]", "key 'A' is used twice"),
    ("menu: [{name: 就业创业政策清单, key: A, payload: /p}]", "is 24 bytes; WeChat allows 16"),
    ("menu: [{name: 政策, key: A}]", "'payload' (what to ask the assistant) is missing"),
])
def test_menu_limits_are_checked_with_a_clear_message(tmp_path: Path, menu_yaml: str, message: str) -> None:
    path = tmp_path / "menu.yml"
    path.write_text(menu_yaml, encoding="utf-8")
    with pytest.raises(MenuError) as error:
        load_menu(path)
    assert message in str(error.value) and str(path) in str(error.value)


def test_menu_publish_command(api: WeChatAPIStandIn, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID,
           "WECHAT_APP_SECRET": APP_SECRET, "WECHAT_API_BASE_URL": api.url, "REDIS_URL": ""}
    command = [sys.executable, "-m", "bot.channels.wechat.menu", "publish"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert api.menus[-1] == load_menu().wechat
    assert "政策清单".encode("utf-8") in api.raw_bodies[-1]  # UTF-8 itself, not \u escapes
    off = subprocess.run(command, env={**env, "WECHAT_TOKEN": ""}, capture_output=True, text=True, timeout=60)
    assert off.returncode == 2 and "WeChat is off" in off.stderr
    bad = tmp_path / "menu.yml"
    bad.write_text("menu: []", encoding="utf-8")
    invalid = subprocess.run(command + ["--file", str(bad)], env=env, capture_output=True, text=True, timeout=60)
    assert invalid.returncode == 1 and "1–3 top-level entries" in invalid.stderr


# ---------------------------------------------------------------- client (against the API stand-in)


def test_replicas_share_one_token_and_one_refresher(api: WeChatAPIStandIn) -> None:
    store = MemoryStore()
    openid = new_openid()
    calls_before = api.token_calls

    async def scenario() -> List[bool]:
        clients = [WeChatClient(settings(api.url), store) for _ in range(3)]
        try:
            return list(await asyncio.gather(*(clients[i % 3].send_text(openid, f"第{i}条") for i in range(9))))
        finally:
            for client in clients:
                await client.close()

    assert asyncio.run(scenario()) == [True] * 9
    assert api.token_calls - calls_before == 1
    assert sorted(api.texts_to(openid)) == sorted(f"第{i}条" for i in range(9))
    assert asyncio.run(store.get(ACCESS_TOKEN)) == api.tokens[-1]


def test_a_refused_token_is_refreshed_once(api: WeChatAPIStandIn) -> None:
    openid = new_openid()
    store = MemoryStore()

    async def scenario() -> bool:
        client = WeChatClient(settings(api.url), store)
        try:
            await client.access_token()
            api.fail_next_send(40001)
            return await client.send_text(openid, "见习补贴由见习单位申请")
        finally:
            await client.close()

    calls_before = api.token_calls
    assert asyncio.run(scenario()) is True
    assert api.token_calls - calls_before == 2
    assert api.texts_to(openid) == ["见习补贴由见习单位申请"]


@pytest.mark.parametrize("errcode, logged", [(45015, "outside the 48 h window"), (45047, "over the allowed count")])
def test_out_of_window_or_over_count_is_logged_and_given_up(api: WeChatAPIStandIn, errcode: int, logged: str,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    openid = new_openid()

    async def scenario() -> bool:
        client = WeChatClient(settings(api.url), MemoryStore())
        try:
            api.fail_next_send(errcode)
            return await client.send_text(openid, "稍后的回答")
        finally:
            await client.close()

    attempts_before = len(api.raw_bodies)
    caplog.set_level(logging.DEBUG)
    assert asyncio.run(scenario()) is False
    assert len(api.raw_bodies) - attempts_before == 1  # no retry
    assert api.texts_to(openid) == []
    assert logged in caplog.text
    assert APP_SECRET not in caplog.text and not any(token in caplog.text for token in api.issued)


# ---------------------------------------------------------------- channel in-process (scripted assistant)


class ScriptedAssistant:
    """Answers by script: 'long' → a 5 000-byte answer with a link in it, 'down' → unavailable."""

    LONG = "\n".join(f"第{i}条：见习补贴由见习单位向所在区人社局申请 http://fuwu.rsj.beijing.gov.cn/bjdkhy/bysjycy/"
                     for i in range(1, 60))

    def __init__(self) -> None:
        self.asked: List[str] = []

    async def ask(self, channel: str, user: str, text: str, turn: Optional[str] = None, once: bool = False) -> List[Reply]:
        self.asked.append(text)
        if text == "down":
            raise AssistantUnavailable("ReadTimeout")
        return [Reply(self.LONG if text == "long" else f"答：{text}")]

    async def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        return None


def test_long_answer_passive_first_piece_then_customer_service_in_order(api: WeChatAPIStandIn,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wechat_channel, "TAIL_DELAY", 0.05)
    gateway = GatewaySettings(wechat=settings(api.url), web=False)
    pushes = WeChatPushes(TOKEN, APP_ID)
    openid = new_openid()
    with TestClient(create_app(gateway, assistant=ScriptedAssistant(), store=MemoryStore())) as client:  # type: ignore[arg-type]
        params, body = pushes.signed(pushes.text(openid, "long"))
        answer = client.post("/wechat", params=params, content=body, headers=XML)
        first = pushes.open_reply(answer.content)["Content"]
        expected = render([Reply(ScriptedAssistant.LONG)])
        assert len(expected) >= 3 and first == expected[0]
        assert api.wait_for(lambda: len(api.texts_to(openid)) == len(expected) - 1, 10)
    assert api.texts_to(openid) == expected[1:]


def test_an_unavailable_assistant_gets_sorry_in_time(api: WeChatAPIStandIn) -> None:
    gateway = GatewaySettings(wechat=settings(api.url), web=False)
    pushes = WeChatPushes(TOKEN, APP_ID)
    openid = new_openid()
    with TestClient(create_app(gateway, assistant=ScriptedAssistant(), store=MemoryStore())) as client:  # type: ignore[arg-type]
        params, body = pushes.signed(pushes.text(openid, "down"))
        started = time.monotonic()
        answer = client.post("/wechat", params=params, content=body, headers=XML)
        assert time.monotonic() - started < 4.5
    assert pushes.open_reply(answer.content)["Content"] == SORRY
    assert api.texts_to(openid) == []


# ---------------------------------------------------------------- end to end: gateway processes + real Rasa


class WeChatGateway:
    def __init__(self, url: str, pushes: WeChatPushes, log: Path) -> None:
        self.url = url
        self.pushes = pushes
        self.log = log
        self.http = httpx.Client(base_url=url, timeout=15.0)

    def push(self, xml: str, **signed: Any) -> httpx.Response:
        params, body = self.pushes.signed(xml, **signed)
        return self.post(params, body)

    def post(self, params: Dict[str, str], body: bytes, headers: Optional[Dict[str, str]] = None) -> httpx.Response:
        return self.http.post("/wechat", params=params, content=body, headers=headers or XML)

    def ask(self, openid: str, text: str) -> str:
        """The passive reply's text to `text` (decrypted in safe mode)."""
        answer = self.push(self.pushes.text(openid, text))
        assert answer.status_code == 200, answer.text
        fields = self.pushes.open_reply(answer.content)
        assert (fields["MsgType"], fields["ToUserName"], fields["FromUserName"]) == ("text", openid, self.pushes.account)
        return fields["Content"]


def gateway_env(api: WeChatAPIStandIn, aes_key: str = "", redis_url: str = "") -> Dict[str, str]:
    return {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET, "WECHAT_AES_KEY": aes_key,
            "WECHAT_API_BASE_URL": api.url, "REDIS_URL": redis_url, "TELEGRAM_BOT_TOKEN": "", "WEB_CHAT": "off"}


@pytest.fixture(scope="module")
def plain(stack: Stack, api: WeChatAPIStandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeChatGateway]:
    logs = tmp_path_factory.mktemp("gateway-wechat-plain")
    port = free_port()
    with running_gateway(stack.rasa_url, port, logs, gateway_env(api)):
        gateway = WeChatGateway(f"http://127.0.0.1:{port}", WeChatPushes(TOKEN, APP_ID), logs / f"gateway-{port}.log")
        yield gateway
        gateway.http.close()


@pytest.fixture(scope="module")
def safe(stack: Stack, api: WeChatAPIStandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeChatGateway]:
    logs = tmp_path_factory.mktemp("gateway-wechat-safe")
    port = free_port()
    with running_gateway(stack.rasa_url, port, logs, gateway_env(api, aes_key=AES_KEY)):
        gateway = WeChatGateway(f"http://127.0.0.1:{port}", WeChatPushes(TOKEN, APP_ID, AES_KEY), logs / f"gateway-{port}.log")
        yield gateway
        gateway.http.close()


def user_texts(stack: Stack, openid: str) -> List[str]:
    """What Rasa's tracker of wx:<openid> recorded the user saying."""
    tracker = httpx.get(f"{stack.rasa_url}/conversations/wx:{openid}/tracker", timeout=10.0)
    assert tracker.status_code == 200, tracker.text
    return [e.get("text") for e in tracker.json().get("events") or [] if e.get("event") == "user"]


def test_e2e_url_verification(plain: WeChatGateway) -> None:
    echoed = plain.http.get("/wechat", params=plain.pushes.url_check("6340986224130532133"))
    assert (echoed.status_code, echoed.text) == (200, "6340986224130532133")
    forged = {**plain.pushes.url_check("6340986224130532133"), "signature": "0" * 40}
    assert plain.http.get("/wechat", params=forged).status_code == 403


def test_e2e_answer_with_numbered_choices_then_a_bare_number(plain: WeChatGateway, stack: Stack) -> None:
    openid = new_openid()
    answer = plain.ask(openid, "见习补贴怎么申请")
    assert "【见习补贴·怎么申请】" in answer
    assert "回复数字选择：\n1. 谁能享受\n2. 去哪办\n3. 截止时间\n4. 我能享受吗" in answer
    until = plain.ask(openid, "3")
    assert "【见习补贴·截止时间】" in until and "2022年底" in until
    assert user_texts(stack, openid) == ["见习补贴怎么申请", "见习补贴到什么时候"]


def test_e2e_subscribe_welcome_and_unsubscribe_silence(plain: WeChatGateway, stack: Stack) -> None:
    openid = new_openid()
    now = int(time.time())
    welcome = plain.pushes.open_reply(plain.push(plain.pushes.event(openid, "subscribe", create_time=now)).content)["Content"]
    assert welcome.startswith(wechat_channel.WELCOME) and "我可以帮你" in welcome
    assert "回复数字选择：\n1. 政策清单" in welcome
    # same second as the subscribe: events are told apart by openid + CreateTime + Event
    goodbye = plain.push(plain.pushes.event(openid, "unsubscribe", create_time=now))
    assert (goodbye.status_code, goodbye.text) == (200, "success")
    assert user_texts(stack, openid) == ["/help"]


def test_e2e_menu_click(plain: WeChatGateway, stack: Stack) -> None:
    openid = new_openid()
    answer = plain.pushes.open_reply(plain.push(plain.pushes.event(openid, "CLICK", key="MEASURES")).content)["Content"]
    assert "10项主要措施" in answer and "回复数字选择：\n1. 数据对接" in answer and "5. 就业见习提升" in answer
    assert user_texts(stack, openid) == ["/list_measures"]


def test_e2e_voice_recognition_or_a_request_to_type(plain: WeChatGateway, stack: Stack) -> None:
    openid = new_openid()
    heard = plain.pushes.open_reply(plain.push(plain.pushes.voice(openid, "见习补贴怎么申请")).content)["Content"]
    assert "【见习补贴·怎么申请】" in heard
    unheard = plain.pushes.open_reply(plain.push(plain.pushes.voice(openid, "")).content)["Content"]
    assert unheard == wechat_channel.TYPE_PLEASE
    assert user_texts(stack, openid) == ["见习补贴怎么申请"]


def test_e2e_image_is_not_supported(plain: WeChatGateway, stack: Stack) -> None:
    openid = new_openid()
    answer = plain.pushes.open_reply(plain.push(plain.pushes.image(openid)).content)["Content"]
    assert answer == "暂不支持这种消息，请发文字或语音。"
    assert user_texts(stack, openid) == []


def test_e2e_a_retried_msgid_is_answered_once(plain: WeChatGateway, stack: Stack) -> None:
    openid = new_openid()
    xml = plain.pushes.text(openid, "社保补贴是什么")
    first = plain.pushes.open_reply(plain.push(xml).content)["Content"]
    assert "社保补贴" in first
    retry = plain.push(xml)  # WeChat's retry: same message, new timestamp and nonce
    assert plain.pushes.open_reply(retry.content)["Content"] == first  # the reply it may have missed
    assert user_texts(stack, openid) == ["社保补贴是什么"]


REFUSALS = ["bad signature", "stale timestamp", "replayed nonce", "wrong content type", "oversized",
            "malformed XML", "XXE", "billion laughs"]


@pytest.mark.parametrize("case", REFUSALS)
def test_e2e_refused_pushes_reach_nothing(plain: WeChatGateway, stack: Stack, case: str) -> None:
    pushes = plain.pushes
    openid = new_openid()
    xml = pushes.text(openid, "见习补贴怎么申请")
    params, body = pushes.signed(xml)
    headers = None
    if case == "bad signature":
        params["signature"] = params["signature"][::-1]
    elif case == "stale timestamp":
        params, body = pushes.signed(xml, timestamp=int(time.time()) - 600)
    elif case == "replayed nonce":
        seen, seen_body = pushes.signed(pushes.text(new_openid(), "你好"))
        assert plain.post(seen, seen_body).status_code == 200
        params = seen  # the captured query string, with another body
    elif case == "wrong content type":
        headers = {"content-type": "application/x-www-form-urlencoded"}
    elif case == "oversized":
        params, body = pushes.signed(pushes.text(openid, "见" * 22_000))
    elif case == "malformed XML":
        params, body = pushes.signed(xml.replace("</xml>", ""))
    elif case == "XXE":
        params, body = pushes.signed(XXE.format(openid=openid))
    elif case == "billion laughs":
        params, body = pushes.signed(BILLION_LAUGHS.format(openid=openid))
    refused = plain.post(params, body, headers)
    expected = {"wrong content type": 415, "oversized": 413, "malformed XML": 400, "XXE": 400, "billion laughs": 400}
    assert refused.status_code == expected.get(case, 403), refused.text
    assert "root:" not in refused.text
    assert user_texts(stack, openid) == []


def test_e2e_late_answer_arrives_through_customer_service(plain: WeChatGateway, stack: Stack,
                                                          api: WeChatAPIStandIn) -> None:
    openid = new_openid()
    token_calls = api.token_calls
    actions = stack.processes[0]
    os.kill(actions.pid, signal.SIGSTOP)  # the action server hangs: Rasa cannot answer in time
    try:
        started = time.monotonic()
        answer = plain.push(plain.pushes.text(openid, "见习补贴怎么申请"))
        elapsed = time.monotonic() - started
        assert (answer.status_code, answer.text) == (200, "success")
        assert 3.5 < elapsed < 4.5
        api.fail_next_send(40001)  # and the cached token has just been invalidated
    finally:
        os.kill(actions.pid, signal.SIGCONT)
    assert api.wait_for(lambda: bool(api.texts_to(openid)), timeout=30), "no customer-service message"
    (late,) = api.texts_to(openid)
    assert "【见习补贴·怎么申请】" in late and "回复数字选择" in late
    assert api.token_calls - token_calls == 2  # the first token, and its replacement after 40001
    assert user_texts(stack, openid) == ["见习补贴怎么申请"]


def test_e2e_the_gateway_log_holds_no_secret(plain: WeChatGateway, api: WeChatAPIStandIn) -> None:
    log = plain.log.read_text(encoding="utf-8")
    assert "WeChat channel on /wechat (plaintext mode)" in log
    assert APP_SECRET not in log and TOKEN not in log
    assert api.issued and not any(token in log for token in api.issued)
    assert "access_token=" not in log and "signature=" not in log


def test_e2e_safe_mode_answer_is_encrypted(safe: WeChatGateway, stack: Stack) -> None:
    openid = new_openid()
    raw = safe.push(safe.pushes.text(openid, "见习补贴怎么申请"))
    assert raw.status_code == 200 and "见习" not in raw.text and "<Encrypt>" in raw.text
    answer = safe.pushes.open_reply(raw.content)["Content"]  # checks MsgSignature, decrypts
    assert "【见习补贴·怎么申请】" in answer
    click = safe.pushes.open_reply(safe.push(safe.pushes.event(openid, "CLICK", key="POLICY_LIST")).content)
    assert "社保补贴" in click["Content"]
    assert user_texts(stack, openid) == ["见习补贴怎么申请", "/ask_policy"]


def test_e2e_safe_mode_refusals(safe: WeChatGateway, stack: Stack) -> None:
    openid = new_openid()
    plaintext = WeChatPushes(TOKEN, APP_ID)
    assert safe.post(*plaintext.signed(plaintext.text(openid, "明文消息"))).status_code == 403
    params, body = safe.pushes.signed(safe.pushes.text(openid, "见习补贴怎么申请"))
    assert safe.post({**params, "msg_signature": "0" * 40}, body).status_code == 403
    assert safe.push(XXE.format(openid=openid)).status_code == 400
    assert safe.push(BILLION_LAUGHS.format(openid=openid)).status_code == 400
    assert user_texts(stack, openid) == []


# ---------------------------------------------------------------- two replicas sharing Redis


@pytest.fixture(scope="module")
def redis_keys() -> Iterator[Any]:
    """Redis (db 15 by default); the keys this module made are deleted at the end."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2.0)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"these tests need Redis at {REDIS_URL} (TEST_REDIS_URL): {error}")
    yield client
    for pattern in ("gw:wx:*", "gw:choices:wx:*"):
        for key in client.scan_iter(pattern):
            client.delete(key)
    client.close()


@pytest.fixture(scope="module")
def replicas(stack: Stack, api: WeChatAPIStandIn, redis_keys: Any,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sequence[WeChatGateway]]:
    logs = tmp_path_factory.mktemp("gateway-wechat-redis")
    ports = [free_port(), free_port()]
    env = gateway_env(api, redis_url=REDIS_URL)
    with running_gateway(stack.rasa_url, ports[0], logs, env), running_gateway(stack.rasa_url, ports[1], logs, env):
        gateways = [WeChatGateway(f"http://127.0.0.1:{p}", WeChatPushes(TOKEN, APP_ID), logs / f"gateway-{p}.log")
                    for p in ports]
        yield gateways
        for gateway in gateways:
            gateway.http.close()


def test_e2e_replicas_sharing_redis_process_a_retry_once(replicas: Sequence[WeChatGateway], stack: Stack,
                                                         redis_keys: Any) -> None:
    first, second = replicas
    openid = new_openid()
    xml = first.pushes.text(openid, "社保补贴是什么")
    params, body = first.pushes.signed(xml)
    answer = first.pushes.open_reply(first.post(params, body).content)["Content"]
    assert "社保补贴" in answer
    retry = second.push(xml)
    assert second.pushes.open_reply(retry.content)["Content"] == answer  # kept (sealed) for WeChat's resend
    assert not any("社保补贴" in (redis_keys.get(key) or b"").decode() for key in redis_keys.scan_iter(f"gw:wx:msg:{openid}:*"))
    # a query captured at one replica is no good at the other either
    assert second.post(params, first.pushes.signed(first.pushes.text(new_openid(), "你好"))[1]).status_code == 403
    # the numbered choice offered by one replica is understood by the other
    assert "回复数字选择" in second.ask(openid, "见习补贴怎么申请")
    assert "2022年底" in first.ask(openid, "3")
    gone = second.push(second.pushes.event(openid, "unsubscribe"))
    marked = redis_keys.get(f"gw:wx:inactive:{openid}")  # when they unfollowed, as Telegram's blocks are marked
    assert gone.text == "success" and marked is not None and time.time() - 60 < float(marked) <= time.time()
    assert user_texts(stack, openid) == ["社保补贴是什么", "见习补贴怎么申请", "见习补贴到什么时候"]


# ---------------------------------------------------------------- a gateway killed with a push in its hands


RECOVERED = "a turn sent again was answered from the conversation"


def rasa_log(stack: Stack) -> str:
    return (stack.log_dir / "rasa.log").read_text(encoding="utf-8", errors="replace")


def claim_of(redis_keys: Any, openid: str) -> Optional[str]:
    """The state of the openid's (only) message claim in Redis."""
    keys = [k for k in redis_keys.scan_iter(f"gw:wx:msg:{openid}:*") if k.count(b":") == 4]
    return redis_keys.get(keys[0]).decode() if keys else None


def test_e2e_a_push_in_a_killed_gateways_hands_is_answered_on_wechats_resend(
        replicas: Sequence[WeChatGateway], stack: Stack, api: WeChatAPIStandIn, redis_keys: Any,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    survivor = replicas[0]
    logs = tmp_path_factory.mktemp("gateway-wechat-victim")
    port = free_port()
    openid = new_openid()
    xml = survivor.pushes.text(openid, "见习补贴怎么申请")
    actions = stack.processes[0]
    with running_gateway(stack.rasa_url, port, logs, gateway_env(api, redis_url=REDIS_URL)) as victim:
        doomed = WeChatGateway(f"http://127.0.0.1:{port}", survivor.pushes, logs / f"gateway-{port}.log")
        outcome: Dict[str, Any] = {}

        def first_attempt() -> None:
            try:
                outcome["response"] = doomed.push(xml)
            except httpx.TransportError as error:
                outcome["error"] = error

        os.kill(actions.pid, signal.SIGSTOP)  # the turn is inside Rasa when the gateway dies
        try:
            sent = time.monotonic()
            attempt = threading.Thread(target=first_attempt)
            attempt.start()
            deadline = time.monotonic() + 5
            while not (claim_of(redis_keys, openid) or "").startswith("held "):
                assert time.monotonic() < deadline, "the victim never claimed the push"
                time.sleep(0.05)
            time.sleep(0.5)
            victim.kill()
            victim.wait()
            attempt.join(10)
            assert "error" in outcome, outcome  # no answer reached WeChat
        finally:
            os.kill(actions.pid, signal.SIGCONT)
        doomed.http.close()
    time.sleep(max(0.0, sent + 5.0 - time.monotonic()))  # WeChat resends 5 s after the first attempt
    recovered_before = rasa_log(stack).count(RECOVERED)
    started = time.monotonic()
    resent = survivor.push(xml)
    assert time.monotonic() - started < 4.5
    answer = survivor.pushes.open_reply(resent.content)["Content"]
    assert "【见习补贴·怎么申请】" in answer and "回复数字选择" in answer
    assert user_texts(stack, openid) == ["见习补贴怎么申请"]  # the turn ran once
    assert rasa_log(stack).count(RECOVERED) == recovered_before + 1  # Rasa answered from the conversation
    assert claim_of(redis_keys, openid) == "replied"
    assert "taken over" in survivor.log.read_text(encoding="utf-8")


def test_e2e_a_push_whose_gateway_died_before_asking_rasa_runs_once_and_forgeries_change_nothing(
        replicas: Sequence[WeChatGateway], stack: Stack, redis_keys: Any) -> None:
    first, second = replicas
    openid = new_openid()
    msg_id = first.pushes.msg_id()
    xml = first.pushes.text(openid, "社保补贴是什么", msg_id=msg_id)
    # a gateway killed right after claiming: its claim, no lease, nothing sent to Rasa
    dead = "held dead-gateway/4242/0a1b2c3d"
    redis_keys.set(f"gw:wx:msg:{openid}:{msg_id}", dead, px=3_600_000)
    params, body = first.pushes.signed(xml)
    assert first.post({**params, "signature": params["signature"][::-1]}, body).status_code == 403
    assert first.push(xml, timestamp=int(time.time()) - 600).status_code == 403
    other = WeChatPushes("notTheToken1", APP_ID)
    assert first.post(*other.signed(xml)).status_code == 403
    assert claim_of(redis_keys, openid) == dead and user_texts(stack, openid) == []
    recovered_before = rasa_log(stack).count(RECOVERED)
    answer = second.pushes.open_reply(second.push(xml).content)["Content"]
    assert "社保补贴" in answer
    assert user_texts(stack, openid) == ["社保补贴是什么"]
    assert rasa_log(stack).count(RECOVERED) == recovered_before  # Rasa ran it: it had never run
    # the next resend gets the same reply, and the turn still ran once
    assert first.pushes.open_reply(first.push(xml).content)["Content"] == answer
    assert user_texts(stack, openid) == ["社保补贴是什么"]
