"""Who holds a WeChat push (bot/channels/wechat/turns.py), on the in-process store and on the real
Redis, and what the channel answers WeChat's resend of a push in each state: two gateways in this
process sharing one Redis, with a scripted assistant (the end-to-end cases, with gateway processes
and the real Rasa, are in test_wechat.py)."""
from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
import uuid
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Optional, Tuple

import httpx
import pytest
import redis
from starlette.testclient import TestClient

from bot.app import create_app
from bot.channels.wechat import channel as wechat_channel
from bot.channels.wechat import keys
from bot.channels.wechat.channel import journal_entry
from bot.channels.wechat.inbound import Inbound
from bot.channels.wechat.turns import DONE, REPLIED, Found, State, Turns
from bot.gateway.assistant import AssistantUnavailable
from bot.gateway.config import GatewaySettings, WeChatSettings
from bot.gateway.journal import RedisJournal, sealer
from bot.gateway.replies import Reply
from bot.gateway.stores import MemoryStore, RedisStore, Store
from tests.standins.wechat import WeChatAPIStandIn, WeChatPushes

REDIS_URL = "redis://127.0.0.1:6379/14"
DEAD = "held dead-gateway/4242/0a1b2c3d"
TOKEN, APP_ID, APP_SECRET = "turnsToken9", "wx2b4d6f8a0c1e3a5b", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
XML = {"content-type": "text/xml"}
FAST = {"lease_ttl": 0.4, "lease_every": 0.1}


def run(scenario: Callable[[Store, str], Any], kind: str) -> None:
    """`scenario(store, prefix)` on a store of `kind`; the Redis keys it made are deleted after."""
    prefix = f"test-turns-{uuid.uuid4().hex[:8]}:"

    async def main() -> None:
        store: Store = MemoryStore() if kind == "memory" else RedisStore(REDIS_URL, prefix)
        try:
            await scenario(store, prefix)
        finally:
            await store.close()
            if kind == "redis":
                client = redis.Redis.from_url(REDIS_URL)
                for key in client.scan_iter(f"{prefix}*"):
                    client.delete(key)
                client.close()

    asyncio.run(main())


# ---------------------------------------------------------------- the claim's states


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_a_push_is_held_while_its_gateway_lives_and_taken_over_once_it_is_gone(kind: str) -> None:
    async def scenario(store: Store, prefix: str) -> None:
        first, second, third = (Turns(store, APP_SECRET, holder=name, **FAST) for name in ("gw-1", "gw-2", "gw-3"))
        assert (await first.take("wx:msg:o1:1")).state is State.NEW
        hold = first.hold("wx:msg:o1:1")
        await asyncio.sleep(1.0)  # several lease lifetimes: renewed all along
        assert (await second.take("wx:msg:o1:1")).state is State.HELD
        assert (await first.take("wx:msg:o1:1")).state is State.HELD  # its own resend waits for it too
        hold.abandon()  # the gateway dies
        await asyncio.sleep(0.5)
        taken = await asyncio.gather(second.take("wx:msg:o1:1"), third.take("wx:msg:o1:1"))
        assert sorted(found.state.value for found in taken) == ["held", "taken over"]  # one taker wins
        winner = second if taken[0].state is State.TAKEN_OVER else third
        assert await store.get("wx:msg:o1:1") == f"held {winner.holder}"
        winner.hold("wx:msg:o1:1")
        assert (await first.take("wx:msg:o1:1")).state is State.HELD

    run(scenario, kind)


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_an_answered_push_keeps_its_passive_reply_sealed_for_a_short_while(kind: str) -> None:
    async def scenario(store: Store, prefix: str) -> None:
        first, second = Turns(store, APP_SECRET, holder="gw-1", **FAST), Turns(store, APP_SECRET, holder="gw-2", **FAST)
        await first.take("wx:msg:o2:1")
        await first.hold("wx:msg:o2:1").release("王芳，你的登记已提交。")
        assert await store.get("wx:msg:o2:1") == REPLIED
        assert await store.get(keys.lease("wx:msg:o2:1", "gw-1")) is None
        sealed = await store.get(keys.reply("wx:msg:o2:1"))
        assert sealed and "王芳" not in sealed and "登记" not in sealed
        found = await second.take("wx:msg:o2:1")
        assert (found.state, found.reply) == (State.REPLIED, "王芳，你的登记已提交。")
        # a gateway with another AppSecret cannot read it: `success`, not garbage
        assert (await Turns(store, "another secret", holder="gw-3").take("wx:msg:o2:1")).reply is None
        if kind == "redis":
            ttl = redis.Redis.from_url(REDIS_URL).pttl(f"{prefix}{keys.reply('wx:msg:o2:1')}")
            assert 0 < ttl <= 20_000
        # answered `success`: nothing kept
        await first.take("wx:msg:o2:2")
        await first.hold("wx:msg:o2:2").release(None)
        assert await second.take("wx:msg:o2:2") == Found(State.DONE)
        assert await store.get(keys.reply("wx:msg:o2:2")) is None
        # a claim made by an older gateway ("1") counts as answered
        await store.claim("wx:msg:o2:3", 60)
        assert (await second.take("wx:msg:o2:3")).state is State.DONE

    run(scenario, kind)


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_a_gateway_that_lost_its_push_neither_renews_nor_overwrites_it(kind: str) -> None:
    async def scenario(store: Store, prefix: str) -> None:
        slow, taker = Turns(store, APP_SECRET, holder="gw-slow", **FAST), Turns(store, APP_SECRET, holder="gw-2", **FAST)
        await slow.take("wx:msg:o3:1")
        stalled = slow.hold("wx:msg:o3:1")
        stalled.abandon()
        await asyncio.sleep(0.5)  # stalled longer than its lease
        assert (await taker.take("wx:msg:o3:1")).state is State.TAKEN_OVER
        hold = taker.hold("wx:msg:o3:1")
        await stalled.release("迟到的回答")  # it wakes up and finishes: the taker's claim stands
        assert await store.get("wx:msg:o3:1") == "held gw-2"
        await hold.release("回答")
        assert (await slow.take("wx:msg:o3:1")).reply == "回答"

    run(scenario, kind)


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_settle_waits_for_a_live_holder_within_the_deadline(kind: str) -> None:
    async def scenario(store: Store, prefix: str) -> None:
        loop = asyncio.get_running_loop()
        holder, waiter = Turns(store, APP_SECRET, holder="gw-1", **FAST), Turns(store, APP_SECRET, holder="gw-2", **FAST)
        await holder.take("wx:msg:o4:1")
        hold = holder.hold("wx:msg:o4:1")
        started = loop.time()
        assert (await waiter.settle("wx:msg:o4:1", started + 0.7)).state is State.HELD  # still busy at the deadline
        assert 0.4 < loop.time() - started < 0.8

        async def answer_soon() -> None:
            await asyncio.sleep(0.3)
            await hold.release("答：见习补贴")

        answering = asyncio.ensure_future(answer_soon())
        found = await waiter.settle("wx:msg:o4:1", loop.time() + 3.0)
        await answering
        assert (found.state, found.reply) == (State.REPLIED, "答：见习补贴")

    run(scenario, kind)


# ---------------------------------------------------------------- the channel: two gateways on one Redis


class ScriptedAssistant:
    """Answers "答：<text>"; 'slow…' takes 1.5 s, 'long' comes in two pieces, 'down' fails.
    Records (text, turn, once)."""

    def __init__(self) -> None:
        self.asked: List[Tuple[str, Optional[str], bool]] = []

    async def ask(self, channel: str, user: str, text: str, turn: Optional[str] = None, once: bool = False) -> List[Reply]:
        self.asked.append((text, turn, once))
        if text == "down":
            raise AssistantUnavailable("ReadTimeout")
        if text.startswith("slow"):
            await asyncio.sleep(1.5)
        if text == "long":  # two pieces: the passive reply and one through the customer-service API
            return [Reply("答：" + "长" * 700), Reply("续：" + "完" * 200)]
        return [Reply(f"答：{text}")]

    async def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class Gateways:
    """Two gateways in this process on one Redis (a prefix of the test's own), each with its
    scripted assistant; `push(i, xml)` is WeChat's POST to gateway i."""

    def __init__(self, prefix: str, api: WeChatAPIStandIn, deadline: float = 4.0) -> None:
        self.prefix = prefix
        self.api = api
        self.deadline = deadline
        self.pushes = WeChatPushes(TOKEN, APP_ID)
        self.assistants = [ScriptedAssistant(), ScriptedAssistant()]
        self.clients: List[TestClient] = []
        self.redis = redis.Redis.from_url(REDIS_URL, decode_responses=True)

    def __enter__(self) -> "Gateways":
        settings = GatewaySettings(wechat=WeChatSettings(TOKEN, APP_ID, APP_SECRET, None, self.api.url), web=False,
                                   reply_deadline=self.deadline)
        for assistant in self.assistants:
            app = create_app(settings, assistant=assistant, store=RedisStore(REDIS_URL, self.prefix))  # type: ignore[arg-type]
            self.clients.append(TestClient(app).__enter__())
        return self

    def __exit__(self, *exc: object) -> None:
        for client in self.clients:
            client.__exit__(None, None, None)
        for key in self.redis.scan_iter(f"{self.prefix}*"):
            self.redis.delete(key)
        self.redis.close()

    def push(self, gateway: int, xml: str, **signed: Any) -> httpx.Response:
        params, body = self.pushes.signed(xml, **signed)
        return self.clients[gateway].post("/wechat", params=params, content=body, headers=XML)

    def reply(self, response: httpx.Response) -> str:
        assert response.status_code == 200, response.text
        return self.pushes.open_reply(response.content)["Content"]

    def claim(self, openid: str, msg_id: int) -> Optional[str]:
        return self.redis.get(self.prefix + keys.claim(openid, f"msg:{msg_id}"))

    def held_by_a_dead_gateway(self, openid: str, msg_id: int) -> None:
        """What a gateway killed right after claiming the push leaves: its claim, no lease."""
        self.redis.set(self.prefix + keys.claim(openid, f"msg:{msg_id}"), DEAD, px=3_600_000)

    def owed_by_a_dead_gateway(self, openid: str, msg_id: int, text: str, skip: int, secret: str = APP_SECRET) -> None:
        """What a gateway killed after answering WeChat leaves when the answer (from piece `skip`)
        is still owed: its journal entry, sealed; no liveness key."""
        inbound = Inbound("text", openid, "gh_account", keys.claim(openid, f"msg:{msg_id}"), text, f"msg:{msg_id}")
        plain = json.dumps({"inbound": dataclasses.asdict(inbound), "skip": skip}).encode()

        async def write() -> None:
            store = RedisStore(REDIS_URL, self.prefix)
            await RedisJournal(store, holder=DEAD[len("held "):]).record(journal_entry(inbound),
                                                                        sealer("wechat journal", secret).encrypt(plain).decode())
            await store.close()

        asyncio.run(write())

    def journal(self) -> List[str]:
        """The journal's keys (entries and indexes) under this prefix."""
        return sorted(key[len(self.prefix):] for key in self.redis.scan_iter(f"{self.prefix}journal:*"))

    def values(self) -> Dict[str, str]:
        """Every key under this prefix with its value as Redis holds it (a hash's fields joined)."""
        kept: Dict[str, str] = {}
        for key in self.redis.scan_iter(f"{self.prefix}*"):
            kind = self.redis.type(key)
            kept[key] = (self.redis.get(key) or "") if kind == "string" else \
                " ".join(f"{k}={v}" for k, v in self.redis.hgetall(key).items()) if kind == "hash" else kind
        return kept

    def asked(self) -> List[Tuple[str, Optional[str], bool]]:
        return self.assistants[0].asked + self.assistants[1].asked


@pytest.fixture(scope="module")
def api() -> Iterator[WeChatAPIStandIn]:
    with WeChatAPIStandIn(APP_ID, APP_SECRET) as standin:
        yield standin


@pytest.fixture
def gateways(api: WeChatAPIStandIn) -> Iterator[Gateways]:
    with Gateways(f"test-turns-{uuid.uuid4().hex[:8]}:", api) as running:
        yield running


def new_openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


def test_a_resend_of_an_answered_push_gets_the_same_passive_reply(gateways: Gateways) -> None:
    openid, msg_id = new_openid(), gateways.pushes.msg_id()
    xml = gateways.pushes.text(openid, "见习补贴", msg_id=msg_id)
    assert gateways.reply(gateways.push(0, xml)) == "答：见习补贴"
    assert gateways.reply(gateways.push(1, xml)) == "答：见习补贴"  # WeChat did not get it in time
    assert gateways.assistants[0].asked == [("见习补贴", f"msg:{msg_id}", False)]
    assert gateways.assistants[1].asked == []
    assert gateways.claim(openid, msg_id) == REPLIED


def test_a_resend_while_a_live_gateway_answers_waits_for_its_answer(gateways: Gateways) -> None:
    openid, msg_id = new_openid(), gateways.pushes.msg_id()
    xml = gateways.pushes.text(openid, "slow", msg_id=msg_id)
    first: Dict[str, httpx.Response] = {}
    answering = threading.Thread(target=lambda: first.update(response=gateways.push(0, xml)))
    answering.start()
    time.sleep(0.4)
    started = time.monotonic()
    again = gateways.push(1, xml)
    answering.join(10)
    assert gateways.reply(again) == gateways.reply(first["response"]) == "答：slow"
    assert time.monotonic() - started < 4.0
    assert [a[0] for a in gateways.assistants[0].asked + gateways.assistants[1].asked] == ["slow"]


def test_a_push_whose_gateway_died_with_it_is_taken_over_and_sent_to_rasa_once(gateways: Gateways) -> None:
    openid, msg_id = new_openid(), gateways.pushes.msg_id()
    gateways.held_by_a_dead_gateway(openid, msg_id)
    answer = gateways.push(1, gateways.pushes.text(openid, "社保补贴", msg_id=msg_id))
    assert gateways.reply(answer) == "答：社保补贴"
    assert gateways.assistants[1].asked == [("社保补贴", f"msg:{msg_id}", True)]  # Rasa runs it only if it never ran
    assert gateways.claim(openid, msg_id) == REPLIED


def test_a_taken_over_push_rasa_cannot_answer_asks_the_graduate_to_send_it_again(gateways: Gateways) -> None:
    openid, msg_id = new_openid(), gateways.pushes.msg_id()
    gateways.held_by_a_dead_gateway(openid, msg_id)
    started = time.monotonic()
    answer = gateways.push(0, gateways.pushes.text(openid, "down", msg_id=msg_id))
    assert gateways.reply(answer) == wechat_channel.SEND_AGAIN == "刚才的消息没有处理完，请再发一次。"
    assert time.monotonic() - started < 4.5


def test_a_forged_resend_is_refused_and_takes_nothing_over(gateways: Gateways) -> None:
    openid, msg_id = new_openid(), gateways.pushes.msg_id()
    gateways.held_by_a_dead_gateway(openid, msg_id)
    xml = gateways.pushes.text(openid, "社保补贴", msg_id=msg_id)
    params, body = gateways.pushes.signed(xml)
    forged = gateways.clients[1].post("/wechat", params={**params, "signature": "0" * 40}, content=body, headers=XML)
    assert forged.status_code == 403
    other_token = WeChatPushes("notTheToken", APP_ID).signed(xml)
    assert gateways.clients[1].post("/wechat", params=other_token[0], content=other_token[1], headers=XML).status_code == 403
    stale = gateways.push(1, xml, timestamp=int(time.time()) - 600)
    assert stale.status_code == 403
    assert gateways.assistants[1].asked == []
    assert gateways.claim(openid, msg_id) == DEAD
    assert gateways.reply(gateways.push(1, xml)) == "答：社保补贴"  # WeChat's own resend still gets the answer


def test_a_late_answer_is_held_until_it_is_delivered_then_done(api: WeChatAPIStandIn) -> None:
    with Gateways(f"test-turns-{uuid.uuid4().hex[:8]}:", api, deadline=0.5) as gateways:
        openid, msg_id = new_openid(), gateways.pushes.msg_id()
        answer = gateways.push(0, gateways.pushes.text(openid, "slow", msg_id=msg_id))
        assert (answer.status_code, answer.text) == (200, "success")
        assert (gateways.claim(openid, msg_id) or "").startswith("held ")  # the answer is still on its way
        assert api.wait_for(lambda: gateways.claim(openid, msg_id) == DONE, 10), gateways.claim(openid, msg_id)
        assert api.texts_to(openid) == ["答：slow"]  # through the customer-service API
        assert api.wait_for(lambda: gateways.journal() == [], 5), gateways.journal()  # written down until sent
        again = gateways.push(1, gateways.pushes.text(openid, "slow", msg_id=msg_id))
        assert (again.status_code, again.text) == (200, "success")
        assert gateways.assistants[1].asked == []


# ---------------------------------------------------------------- answers owed after WeChat was answered


def test_a_late_answer_whose_gateway_died_is_sent_by_another_and_the_turn_runs_once(gateways: Gateways, api: WeChatAPIStandIn) -> None:
    openid, msg_id = new_openid(), gateways.pushes.msg_id()
    gateways.held_by_a_dead_gateway(openid, msg_id)  # it had answered `success` and died before sending
    gateways.owed_by_a_dead_gateway(openid, msg_id, "社保补贴", skip=0)
    assert api.wait_for(lambda: api.texts_to(openid) == ["答：社保补贴"], 10), api.texts_to(openid)
    assert gateways.asked() == [("社保补贴", f"msg:{msg_id}", True)]  # Rasa runs it only if it never ran
    assert api.wait_for(lambda: gateways.claim(openid, msg_id) == DONE and gateways.journal() == [], 5)
    again = gateways.push(1, gateways.pushes.text(openid, "社保补贴", msg_id=msg_id))  # a stray resend
    assert (again.status_code, again.text) == (200, "success")
    time.sleep(1.5)
    assert api.texts_to(openid) == ["答：社保补贴"] and len(gateways.asked()) == 1


def test_a_late_answer_wechat_had_answered_on_a_resend_is_not_sent_again(gateways: Gateways, api: WeChatAPIStandIn) -> None:
    openid, msg_id = new_openid(), gateways.pushes.msg_id()
    gateways.redis.set(gateways.prefix + keys.claim(openid, f"msg:{msg_id}"), REPLIED, px=3_600_000)
    gateways.owed_by_a_dead_gateway(openid, msg_id, "社保补贴", skip=0)  # its `success` never arrived
    assert api.wait_for(lambda: gateways.journal() == [], 10), gateways.journal()
    time.sleep(0.5)
    assert api.texts_to(openid) == [] and gateways.asked() == []


def test_the_pieces_after_a_passive_reply_are_sent_by_another_gateway_when_the_first_died(gateways: Gateways, api: WeChatAPIStandIn) -> None:
    openid, msg_id = new_openid(), gateways.pushes.msg_id()
    passive = gateways.reply(gateways.push(0, gateways.pushes.text(openid, "long", msg_id=msg_id)))
    assert passive.startswith("答：长") and api.wait_for(lambda: len(api.texts_to(openid)) == 1, 10)
    tail = api.texts_to(openid)
    assert api.wait_for(lambda: gateways.journal() == [], 5), gateways.journal()  # crossed out once sent

    openid = new_openid()  # the same, but the gateway dies between the passive reply and the rest
    gateways.owed_by_a_dead_gateway(openid, msg_id, "long", skip=1)
    assert api.wait_for(lambda: api.texts_to(openid) == tail, 10), api.texts_to(openid)
    assert gateways.asked()[-1] == ("long", f"msg:{msg_id}", True)
    assert api.wait_for(lambda: gateways.journal() == [], 5), gateways.journal()


def test_an_answer_owed_is_written_down_sealed(api: WeChatAPIStandIn) -> None:
    with Gateways(f"test-turns-{uuid.uuid4().hex[:8]}:", api, deadline=0.5) as gateways:
        openid, msg_id = new_openid(), gateways.pushes.msg_id()
        answer = gateways.push(0, gateways.pushes.text(openid, "slow 我的手机号13912345678", msg_id=msg_id))
        assert (answer.status_code, answer.text) == (200, "success")
        assert any(key.startswith("journal:entry:") for key in gateways.journal())  # until it is sent
        kept = gateways.values()
        assert any("journal:entry:" in key for key in kept)
        assert not [key for key, value in kept.items() if "13912345678" in value or "手机号" in value]
        assert api.wait_for(lambda: gateways.journal() == [], 10), gateways.journal()


def test_an_answer_owed_sealed_under_another_appsecret_is_dropped(gateways: Gateways, api: WeChatAPIStandIn) -> None:
    openid, msg_id = new_openid(), gateways.pushes.msg_id()
    gateways.held_by_a_dead_gateway(openid, msg_id)
    gateways.owed_by_a_dead_gateway(openid, msg_id, "社保补贴", skip=0, secret="not-this-accounts-secret")
    assert api.wait_for(lambda: gateways.journal() == [], 10), gateways.journal()
    time.sleep(0.5)
    assert api.texts_to(openid) == [] and gateways.asked() == []
