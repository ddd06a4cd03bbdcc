"""The Telegram channel end to end: a stand-in Bot API (tests/standins/telegram.py) ⇄ the gateway
process ⇄ the real Rasa and action servers.

One gateway long-polls the stand-in; a second runs in webhook mode and is POSTed updates the way
Telegram would. Each test talks in chats of its own (Rasa keeps one conversation per chat).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import re
import secrets
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import httpx
import pytest
import redis

from bot.channels.telegram.render import MAX_BYTES, keyboard, outgoing
from bot.gateway.journal import RedisJournal, sealer
from bot.gateway.replies import Button, Reply
from bot.gateway.stores import RedisStore
from devstack.stack import Stack, StackError, running_gateway
from tests.conftest import free_port
from tests.gateway.conftest import Gateway
from tests.standins.telegram import TelegramStandIn

TOKEN = f"{random.randint(10**8, 10**9)}:{secrets.token_urlsafe(30)}"
SECRET = secrets.token_urlsafe(32)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WELCOME = "你好，欢迎使用"
_chats = itertools.count(random.randint(10**8, 2 * 10**8))


def new_chat() -> int:
    return next(_chats)


def gateway_env(telegram: TelegramStandIn, **extra: str) -> Dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.api_base_url,
            "TELEGRAM_WEBHOOK_URL": "", "TELEGRAM_WEBHOOK_SECRET": "", "WECHAT_TOKEN": "", "WEB_CHAT": "off",
            "REDIS_URL": "", **extra}


def rasa_heard(stack: Stack, chat: int) -> Optional[str]:
    """The last text Rasa received in this chat's conversation (None: nothing yet)."""
    tracker = httpx.get(f"{stack.rasa_url}/conversations/tg:{chat}/tracker", timeout=10).json()
    text: Optional[str] = (tracker.get("latest_message") or {}).get("text")
    return text


@pytest.fixture(scope="module")
def telegram() -> Iterator[TelegramStandIn]:
    with TelegramStandIn(TOKEN) as standin:
        yield standin


@pytest.fixture(scope="module")
def polling(stack: Stack, telegram: TelegramStandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with only Telegram on, long-polling the stand-in."""
    logs, port = tmp_path_factory.mktemp("gateway-telegram"), free_port()
    with running_gateway(stack.rasa_url, port, logs, gateway_env(telegram)):
        yield Gateway(f"http://127.0.0.1:{port}", logs / f"gateway-{port}.log")


@pytest.fixture(scope="module")
def hook_telegram() -> Iterator[TelegramStandIn]:
    with TelegramStandIn(TOKEN) as standin:
        yield standin


@pytest.fixture(scope="module")
def webhook(stack: Stack, hook_telegram: TelegramStandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway in webhook mode: Telegram (here the tests) POSTs updates to it."""
    logs, port = tmp_path_factory.mktemp("gateway-telegram-webhook"), free_port()
    env = gateway_env(hook_telegram, TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook", TELEGRAM_WEBHOOK_SECRET=SECRET)
    with running_gateway(stack.rasa_url, port, logs, env):
        yield Gateway(f"http://127.0.0.1:{port}", logs / f"gateway-{port}.log")


# rendering (no servers)

def test_long_answers_are_split_under_the_limit_with_buttons_under_the_last_piece() -> None:
    pieces = outgoing([Reply("见习补贴申请材料。" * 500, (Button("能否享受", "/check_eligibility"),)), Reply("", (Button("好", "/ok"),))])
    assert len(pieces) == 5 and all(len(p.text.encode("utf-8")) <= MAX_BYTES for p in pieces)
    assert [bool(p.buttons) for p in pieces] == [False, False, False, True, True]
    assert pieces[-1].text  # Telegram refuses an empty text: buttons alone get a prompt


def test_keyboard_rows_fit_the_titles_and_callback_data_fits_64_bytes() -> None:
    districts = [Button(f"区{i}", f'/inform{{"district":"区{i}"}}') for i in range(17)]
    markup = keyboard(districts, [secrets.token_urlsafe(12) for _ in districts])
    assert [len(row) for row in markup.inline_keyboard] == [3] * 5 + [2]
    assert all(len(b.callback_data.encode()) <= 64 for row in markup.inline_keyboard for b in row)  # type: ignore[union-attr]
    long_titles = keyboard([Button("我想了解一次性扩岗补助怎么申请", "/x")] * 2, ["a", "b"])
    assert [len(row) for row in long_titles.inline_keyboard] == [1, 1]


# long polling

@pytest.mark.stack
def test_start_welcomes_and_offers_the_menu_as_an_inline_keyboard(polling: Gateway, telegram: TelegramStandIn) -> None:
    chat = new_chat()
    telegram.send_text(chat, "/start")
    [welcome] = telegram.wait_for_messages(chat, 1)
    assert welcome.text.startswith(WELCOME) and "我可以帮你" in welcome.text
    assert {"政策清单", "求职登记"} <= {b["text"] for b in welcome.buttons()}
    assert all(re.fullmatch(r"c:[\w-]{8,40}", b["callback_data"]) for b in welcome.buttons())


@pytest.mark.stack
def test_commands_are_published_with_chinese_descriptions(polling: Gateway, telegram: TelegramStandIn) -> None:
    [published] = telegram.calls_of("setMyCommands")
    commands = {c["command"]: c["description"] for c in published.params["commands"]}
    assert set(commands) == {"start", "help", "register", "subscribe", "unsubscribe", "cancel"}
    assert all(re.search(r"[\u4e00-\u9fff]", description) for description in commands.values())
    assert telegram.calls_of("deleteWebhook") and telegram.calls_of("getUpdates") and not telegram.calls_of("setWebhook")


@pytest.mark.stack
def test_a_question_gets_the_assistants_answer(polling: Gateway, telegram: TelegramStandIn) -> None:
    chat = new_chat()
    telegram.send_text(chat, "见习补贴怎么申请")
    answer = "\n".join(m.text for m in telegram.wait_for_text(chat, "见习"))
    assert "【见习补贴·怎么申请】" in answer


@pytest.mark.stack
def test_pressing_a_button_sends_its_payload_and_shows_the_choice(polling: Gateway, telegram: TelegramStandIn, stack: Stack) -> None:
    chat = new_chat()
    telegram.send_text(chat, "/start")
    [welcome] = telegram.wait_for_messages(chat, 1)
    query = telegram.press(chat, welcome, welcome.button("政策清单")["callback_data"])
    answer = telegram.wait_for_messages(chat, 2)[1]
    assert "政策清单" in answer.text and rasa_heard(stack, chat) == "/ask_policy"
    assert str(query) in [c.params["callback_query_id"] for c in telegram.calls_of("answerCallbackQuery")]
    [edited] = [c for c in telegram.calls_of("editMessageReplyMarkup") if int(c.params["chat_id"]) == chat]
    assert int(edited.params["message_id"]) == welcome.raw["message_id"]
    assert [b["text"] for row in edited.params["reply_markup"]["inline_keyboard"] for b in row] == ["✅ 政策清单"]


@pytest.mark.stack
def test_unknown_or_foreign_button_data_is_refused(polling: Gateway, telegram: TelegramStandIn, stack: Stack) -> None:
    owner, other = new_chat(), new_chat()
    for chat in (owner, other):
        telegram.send_text(chat, "/start")
    [owners_menu] = telegram.wait_for_messages(owner, 1)
    [others_menu] = telegram.wait_for_messages(other, 1)
    foreign = telegram.press(other, others_menu, owners_menu.button("政策清单")["callback_data"])
    forged = telegram.press(other, others_menu, "c:made-up-id-000")
    telegram.wait_until(lambda: len([c for c in telegram.calls_of("answerCallbackQuery") if c.params["callback_query_id"] in (str(foreign), str(forged))]) == 2,
                        15, "both presses answered", lambda: telegram.calls_of("answerCallbackQuery"))
    answered = {c.params["callback_query_id"]: c.params.get("text", "") for c in telegram.calls_of("answerCallbackQuery")}
    assert "失效" in answered[str(foreign)] and "失效" in answered[str(forged)]
    time.sleep(1.0)
    assert len(telegram.messages(other)) == 1 and rasa_heard(stack, other) == "/help"


@pytest.mark.stack
@pytest.mark.parametrize("command, sent", [("/help", "/help"), ("/register", "/register"), ("/subscribe", "订阅"),
                                           ("/unsubscribe", "退订"), ("/cancel", "取消")])
def test_commands_send_their_texts_to_the_assistant(polling: Gateway, telegram: TelegramStandIn, stack: Stack, command: str, sent: str) -> None:
    chat = new_chat()
    telegram.send_text(chat, command)
    reply = telegram.wait_for_messages(chat, 1)[0]  # a bare 取消 is answered, then the menu follows
    assert reply.text and rasa_heard(stack, chat) == sent


@pytest.mark.stack
def test_slash_text_and_non_text_never_reach_the_assistant(polling: Gateway, telegram: TelegramStandIn, stack: Stack) -> None:
    chat = new_chat()
    telegram.send_text(chat, '/inform{"age": "22"}')
    telegram.send_location(chat)
    first, second = telegram.wait_for_messages(chat, 2)
    assert "没有这个命令" in first.text and "文字" in second.text
    assert rasa_heard(stack, chat) is None


@pytest.mark.stack
def test_chats_run_concurrently_and_each_chat_keeps_its_order(polling: Gateway, telegram: TelegramStandIn) -> None:
    busy, other = new_chat(), new_chat()
    telegram.delay_next(busy, 3.0)  # the busy chat's first answer takes 3 s to go out
    for text in ("见习补贴怎么申请", "你好", "谢谢"):
        telegram.send_text(busy, text)
    telegram.send_text(other, "你好")
    [greeting] = telegram.wait_for_messages(other, 1)
    markers = ("见习", "就业服务助手", "不客气")
    telegram.wait_until(lambda: all(any(m in s.text for s in telegram.messages(busy)) for m in markers), 30,
                        "the busy chat's three answers", lambda: telegram.messages(busy))
    answers = [m.text for m in telegram.messages(busy)]
    order = [next(i for i, text in enumerate(answers) if marker in text) for marker in markers]
    assert order == sorted(order), answers
    assert greeting.at < telegram.messages(busy)[0].at  # answered while the busy chat was still waiting


@pytest.mark.stack
def test_a_chat_that_blocked_the_bot_is_left_alone_until_it_writes_again(polling: Gateway, telegram: TelegramStandIn, stack: Stack) -> None:
    chat = new_chat()
    telegram.block(chat)
    telegram.send_text(chat, "你好")
    telegram.send_text(chat, "见习补贴怎么申请")  # written before the bot learnt of the block
    telegram.wait_until(lambda: bool(telegram.attempts(chat)), 30, "a send to the blocked chat", lambda: telegram.calls)
    time.sleep(2.0)
    assert [c.status for c in telegram.attempts(chat)] == [403]
    assert rasa_heard(stack, chat) == "你好"
    telegram.unblock(chat)
    telegram.send_text(chat, "谢谢")  # a new message: the user unblocked the bot
    assert "不客气" in telegram.wait_for_messages(chat, 1)[0].text


@pytest.mark.stack
def test_flood_control_waits_retry_after_then_sends(polling: Gateway, telegram: TelegramStandIn) -> None:
    chat = new_chat()
    telegram.flood_once(chat, 2)
    telegram.send_text(chat, "你好")
    [answer] = telegram.wait_for_messages(chat, 1)
    refused, delivered = telegram.attempts(chat)
    assert (refused.status, delivered.status) == (429, 200)
    assert delivered.at - refused.at >= 2.0 and "就业服务助手" in answer.text


@pytest.mark.stack
def test_a_rejected_token_stops_start_up_without_revealing_it(stack: Stack, telegram: TelegramStandIn, tmp_path: Path) -> None:
    wrong = f"{random.randint(10**8, 10**9)}:{secrets.token_urlsafe(30)}"
    port = free_port()
    with pytest.raises(StackError):
        with running_gateway(stack.rasa_url, port, tmp_path, {**gateway_env(telegram), "TELEGRAM_BOT_TOKEN": wrong}, timeout=30):
            pass
    log = (tmp_path / f"gateway-{port}.log").read_text(encoding="utf-8")
    assert "Telegram not started" in log and "InvalidToken" in log
    assert wrong.split(":")[1] not in log


# webhook

def post_update(gateway: Gateway, body: Any, headers: Optional[Dict[str, str]] = None, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{gateway.url}/telegram/webhook", headers=headers or {}, timeout=10,
                      **({"json": body} if not isinstance(body, bytes) else {"content": body}), **kwargs)


@pytest.mark.stack
def test_webhook_is_registered_with_the_secret(webhook: Gateway, hook_telegram: TelegramStandIn) -> None:
    [registered] = hook_telegram.calls_of("setWebhook")
    assert registered.params["url"] == f"{webhook.url}/telegram/webhook"
    assert registered.params["secret_token"] == SECRET
    assert set(registered.params["allowed_updates"]) == {"message", "callback_query"}
    assert not hook_telegram.calls_of("getUpdates")


@pytest.mark.stack
def test_webhook_update_is_acknowledged_at_once_and_answered(webhook: Gateway, hook_telegram: TelegramStandIn) -> None:
    chat = new_chat()
    response = post_update(webhook, hook_telegram.text_update(chat, "见习补贴怎么申请"), {SECRET_HEADER: SECRET})
    acknowledged = time.monotonic()
    assert response.status_code == 200
    answers = hook_telegram.wait_for_text(chat, "见习")
    assert "【见习补贴·怎么申请】" in "\n".join(m.text for m in answers) and acknowledged < answers[0].at


@pytest.mark.stack
def test_webhook_without_the_secret_is_refused_and_ignored(webhook: Gateway, hook_telegram: TelegramStandIn, stack: Stack) -> None:
    chat = new_chat()
    for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}, {SECRET_HEADER: SECRET[:-1]}):
        assert post_update(webhook, hook_telegram.text_update(chat, "你好"), headers).status_code == 403
    time.sleep(1.5)
    assert hook_telegram.messages(chat) == [] and rasa_heard(stack, chat) is None


@pytest.mark.stack
def test_webhook_refuses_malformed_bodies(webhook: Gateway, hook_telegram: TelegramStandIn) -> None:
    chat = new_chat()
    update = hook_telegram.text_update(chat, "你好")
    signed = {SECRET_HEADER: SECRET, "content-type": "application/json"}
    assert post_update(webhook, b"{not json", signed).status_code == 400
    assert post_update(webhook, [update], signed).status_code == 400
    assert post_update(webhook, {"message": update["message"]}, signed).status_code == 400
    assert post_update(webhook, {"update_id": "1", "message": update["message"]}, signed).status_code == 400
    assert post_update(webhook, b"update_id=1", {SECRET_HEADER: SECRET, "content-type": "application/x-www-form-urlencoded"}).status_code == 415
    oversized = {**update, "padding": "x" * 300_000}
    assert post_update(webhook, oversized, signed).status_code == 413
    time.sleep(1.0)
    assert hook_telegram.messages(chat) == []


@pytest.mark.stack
def test_webhook_resent_update_is_answered_once(webhook: Gateway, hook_telegram: TelegramStandIn) -> None:
    chat = new_chat()
    update = hook_telegram.text_update(chat, "你好")
    assert [post_update(webhook, update, {SECRET_HEADER: SECRET}).status_code for _ in range(2)] == [200, 200]
    hook_telegram.wait_for_messages(chat, 1)
    time.sleep(1.5)
    assert len(hook_telegram.attempts(chat)) == 1


# the journal: an update acknowledged by a gateway that then died (gateway processes on Redis)

JOURNAL_REDIS = os.environ.get("TEST_REDIS_URL_JOURNAL", "redis://127.0.0.1:6379/10")
DEAD = "dead-gateway/4242/0a1b2c3d"


def forget_gateway_keys() -> None:
    client = redis.Redis.from_url(JOURNAL_REDIS)
    for key in client.scan_iter("gw:*"):
        client.delete(key)
    client.close()


def journal_keys() -> List[str]:
    client = redis.Redis.from_url(JOURNAL_REDIS, decode_responses=True)
    try:
        return sorted(client.scan_iter("gw:journal:*"))
    finally:
        client.close()


@pytest.fixture(scope="module")
def shared_telegram() -> Iterator[TelegramStandIn]:
    with TelegramStandIn(TOKEN) as standin:
        yield standin


@pytest.fixture(scope="module")
def on_redis(stack: Stack, shared_telegram: TelegramStandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A webhook gateway on Redis (a database of its own): what it acknowledges is written down."""
    logs, port = tmp_path_factory.mktemp("gateway-telegram-redis"), free_port()
    env = gateway_env(shared_telegram, TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
                      TELEGRAM_WEBHOOK_SECRET=SECRET, REDIS_URL=JOURNAL_REDIS)
    forget_gateway_keys()
    try:
        with running_gateway(stack.rasa_url, port, logs, env):
            yield Gateway(f"http://127.0.0.1:{port}", logs / f"gateway-{port}.log")
    finally:
        forget_gateway_keys()


def acknowledged_by_a_dead_gateway(update: Dict[str, Any], token: str = TOKEN) -> None:
    """What a gateway killed after its 200 leaves: the update's claim and its journal entry,
    sealed with the bot token's key; no liveness key."""
    sealed = sealer("telegram journal", token).encrypt(json.dumps(update).encode()).decode()

    async def write() -> None:
        store = RedisStore(JOURNAL_REDIS)
        try:
            await RedisJournal(store, holder=DEAD).record(f"tg:{update['update_id']}", sealed,
                                                         (f"tg:update:{update['update_id']}", 3600.0))
        finally:
            await store.close()

    asyncio.run(write())


def rasa_turns(stack: Stack, chat: int, turn: str) -> int:
    """How many user events of this chat's conversation carry `turn`."""
    events = httpx.get(f"{stack.rasa_url}/conversations/tg:{chat}/tracker", timeout=10).json().get("events", [])
    return sum(1 for e in events if e.get("event") == "user" and (e.get("metadata") or {}).get("turn_id") == turn)


@pytest.mark.stack
def test_an_update_on_redis_is_written_down_until_it_is_answered(on_redis: Gateway, shared_telegram: TelegramStandIn, stack: Stack) -> None:
    chat = new_chat()
    update = shared_telegram.text_update(chat, "社保补贴怎么申请")
    assert post_update(on_redis, update, {SECRET_HEADER: SECRET}).status_code == 200
    shared_telegram.wait_for_text(chat, "社保")
    assert rasa_turns(stack, chat, f"update:{update['update_id']}") == 1
    shared_telegram.wait_until(lambda: journal_keys() == [], 5, "the entry crossed out", journal_keys)


@pytest.mark.stack
def test_an_update_whose_gateway_died_after_acknowledging_it_is_answered_by_another(
        on_redis: Gateway, shared_telegram: TelegramStandIn, stack: Stack) -> None:
    chat = new_chat()
    update = shared_telegram.text_update(chat, "见习补贴怎么申请")
    acknowledged_by_a_dead_gateway(update)
    answers = shared_telegram.wait_for_text(chat, "见习", timeout=15)
    assert "【见习补贴·怎么申请】" in "\n".join(m.text for m in answers)
    assert rasa_turns(stack, chat, f"update:{update['update_id']}") == 1
    shared_telegram.wait_until(lambda: journal_keys() == [], 5, "the entry crossed out", journal_keys)
    answered = len(shared_telegram.messages(chat))  # a long answer: its pieces are all out now
    assert post_update(on_redis, update, {SECRET_HEADER: SECRET}).status_code == 200  # a stray resend
    time.sleep(1.5)
    assert len(shared_telegram.messages(chat)) == answered


@pytest.mark.stack
def test_a_taken_over_update_whose_turn_had_run_is_answered_from_the_conversation(
        on_redis: Gateway, shared_telegram: TelegramStandIn, stack: Stack) -> None:
    chat = new_chat()
    update = shared_telegram.text_update(chat, "一次性扩岗补助有多少钱")
    turn = f"update:{update['update_id']}"
    ran = httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", timeout=30,  # the dead gateway's turn ran in Rasa
                     json={"sender": f"tg:{chat}", "message": update["message"]["text"], "metadata": {"turn_id": turn}})
    assert ran.status_code == 200 and ran.json()
    acknowledged_by_a_dead_gateway(update)
    answers = shared_telegram.wait_for_messages(chat, 1, timeout=15)
    assert answers[0].text.startswith(ran.json()[0]["text"][:20])
    assert rasa_turns(stack, chat, turn) == 1  # answered from the conversation, not run again


@pytest.mark.stack
def test_a_taken_over_update_sealed_under_another_bot_token_is_dropped(on_redis: Gateway, shared_telegram: TelegramStandIn, stack: Stack) -> None:
    chat = new_chat()
    acknowledged_by_a_dead_gateway(shared_telegram.text_update(chat, "见习补贴怎么申请"), token="123:another-bot")
    shared_telegram.wait_until(lambda: journal_keys() == [], 10, "the entry dropped", journal_keys)
    time.sleep(0.5)
    assert shared_telegram.messages(chat) == [] and rasa_heard(stack, chat) is None
    assert "a taken-over Telegram update could not be read: dropped" in on_redis.log.read_text(encoding="utf-8")


# last: what both gateways logged

@pytest.mark.stack
def test_the_token_and_api_urls_are_never_logged(polling: Gateway, webhook: Gateway) -> None:
    for gateway in (polling, webhook):
        log = gateway.log.read_text(encoding="utf-8")
        assert "telegram: on" in log  # the log is the right one and has content
        assert TOKEN.split(":")[1] not in log and "/bot" not in log
