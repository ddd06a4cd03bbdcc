"""The push worker's parts on their own: rendering, settings, the Telegram sending slots (in
process and in Redis), the quota counter, and the gateway's record of a WeChat user's last message."""
from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
from redis import asyncio as aioredis
from starlette.testclient import TestClient

from bot.app import create_app
from bot.channels.wechat.keys import LAST_INBOUND_TTL, last_inbound
from bot.gateway.config import GatewaySettings, WeChatSettings
from bot.gateway.replies import Reply
from bot.gateway.stores import MemoryStore
from push.config import PushConfigError, settings_from_env
from push.limits import MemorySlots, RedisSlots, Slot, TemplateQuota
from push.render import WECHAT_BYTES, render_text
from push.wechat import template_body
from tests.push.conftest import REDIS_URL, TODAY, fair
from tests.standins.wechat import WeChatPushes


# ---------------------------------------------------------------- rendering


def test_a_job_fair_is_rendered_with_its_facts_and_how_to_unsubscribe() -> None:
    text = render_text(fair())
    day = TODAY + timedelta(days=3)
    assert text.splitlines()[0] == "【招聘会】海淀区高校毕业生专场招聘会"
    for line in (f"时间：{day.year}年{day.month}月{day.day}日 9:00-12:00", "地点：海淀区某会展中心（示例）",
                 "线上参与：https://example.org/fair", "主办：海淀区人力资源公共服务中心（示例）", "百家企业，千个岗位，现场投递简历。"):
        assert line in text.splitlines()
    assert f"有效期：{TODAY.year}年{TODAY.month}月{TODAY.day}日至" in text
    assert text.endswith("回复“退订招聘会”不再接收此类信息，回复“退订”取消全部推送。")


def test_a_recommendation_says_why_and_a_long_body_is_cut_to_fit_wechat() -> None:
    notice = fair(kind="job", title="会计助理", body="岗位职责：" + "负责日常账务处理。" * 400, event_date=None,
                  event_time=None, place=None, online_link=None, organiser=None)
    text = render_text(notice, "recommendation", WECHAT_BYTES)
    assert text.startswith("根据你登记的求职意向，为你推荐：\n【招聘岗位】会计助理")
    assert "时间：" not in text and "地点：" not in text
    assert len(text.encode("utf-8")) <= WECHAT_BYTES
    assert "…（详见官方发布）" in text and text.endswith("不想再收到推送，回复“退订”即可。")
    body = template_body("o1", "T1", notice, "recommendation")
    assert body["data"]["keyword1"]["value"] == "招聘岗位" and "退订" in body["data"]["remark"]["value"]


# ---------------------------------------------------------------- settings


def test_settings_fail_fast_by_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = {"DATABASE_URL": f"sqlite:///{tmp_path / 'l.sqlite3'}", "LEDGER_KEY_FILE": str(tmp_path / "keys.json")}
    settings = settings_from_env({**base, "WECHAT_TEMPLATE_ID": "T1", "PUSH_BACKOFF_SECONDS": "0.5"})
    assert settings.redis_url is None and settings.telegram is None and settings.template_id == "T1"
    assert settings.timing.backoff == 0.5 and settings.template_daily_quota == 100_000
    for env, named in (({"PUSH_CONCURRENCY": "many"}, "PUSH_CONCURRENCY"), ({"PUSH_MAX_ATTEMPTS": "0"}, "PUSH_MAX_ATTEMPTS"),
                       ({"PUSH_SENDING_TIMEOUT": "5"}, "PUSH_SENDING_TIMEOUT"), ({"PUSH_KEY_PREFIX": "push"}, "PUSH_KEY_PREFIX"),
                       ({"REDIS_URL": "http://x"}, "REDIS_URL"), ({"TELEGRAM_BOT_TOKEN": "nope"}, "TELEGRAM_BOT_TOKEN")):
        with pytest.raises(PushConfigError, match=named):
            settings_from_env({**base, **env})


# ---------------------------------------------------------------- Telegram sending slots


async def _send_through(slots: Slot, plan: List[str], latency: Tuple[float, float]) -> List[Tuple[float, str]]:
    """Sends `plan` (chat per message) through the slots, each 'arriving' at a random moment
    between taking the slot and its answer; returns (arrival, chat)."""
    arrivals: List[Tuple[float, str]] = []

    async def one(chat: str) -> None:
        ticket = await slots.acquire(chat)
        await asyncio.sleep(random.uniform(0, latency[0]))
        arrivals.append((time.monotonic(), chat))
        await asyncio.sleep(random.uniform(0, latency[1]))
        await slots.finish(ticket, chat)

    await asyncio.gather(*(one(chat) for chat in plan))
    return sorted(arrivals)


def _breaches(arrivals: List[Tuple[float, str]], rate: int = 30) -> List[str]:
    times = [at for at, _ in arrivals]
    out = [f"{rate + 1} within {times[i + rate] - times[i]:.3f} s" for i in range(len(times) - rate) if times[i + rate] - times[i] < 1.0]
    last: Dict[str, float] = {}
    for at, chat in arrivals:
        if chat in last and at - last[chat] < 1.0:
            out.append(f"chat {chat} twice within {at - last[chat]:.3f} s")
        last[chat] = at
    return out


@pytest.fixture
def redis_slots(redis_prefix: str) -> Iterator[RedisSlots]:
    client = aioredis.from_url(REDIS_URL, decode_responses=True)
    yield RedisSlots(client, redis_prefix, hold=3.0)


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_slots_never_let_telegram_see_more_than_30_a_second_or_2_a_chat_in_a_second(kind: str, redis_prefix: str) -> None:
    # 70 messages, 5 of them to one chat; jittery 'network': 0–30 ms there, 0–30 ms back
    plan = [f"c{n}" for n in range(65)] + ["same"] * 5
    random.shuffle(plan)

    async def scenario() -> List[Tuple[float, str]]:
        if kind == "memory":
            return await _send_through(MemorySlots(hold=3.0), plan, (0.03, 0.03))
        client = aioredis.from_url(REDIS_URL, decode_responses=True)
        try:
            return await _send_through(RedisSlots(client, redis_prefix, hold=3.0), plan, (0.03, 0.03))
        finally:
            await client.close()

    started = time.monotonic()
    arrivals = asyncio.run(scenario())
    assert _breaches(arrivals) == []
    assert len(arrivals) == 70
    # not slower than needed: 70 messages need two full windows; the one chat needs 4 gaps
    assert time.monotonic() - started < 6.5


def test_a_pause_stops_every_sender_until_it_ends(redis_prefix: str) -> None:
    async def scenario() -> float:
        client = aioredis.from_url(REDIS_URL, decode_responses=True)
        try:
            first, second = RedisSlots(client, redis_prefix), RedisSlots(client, redis_prefix)  # two workers
            await first.pause(1.0, "c1")
            started = time.monotonic()
            ticket = await second.acquire("c2")
            await second.release(ticket, "c2")
            return time.monotonic() - started
        finally:
            await client.close()

    assert 0.95 <= asyncio.run(scenario()) < 1.5


def test_template_quota_counts_per_day_in_redis(redis_prefix: str) -> None:
    async def scenario() -> List[bool]:
        client = aioredis.from_url(REDIS_URL, decode_responses=True)
        try:
            quota = TemplateQuota(2, client, redis_prefix)
            taken = [await quota.take() for _ in range(3)]
            await quota.give_back()
            assert await client.get(quota.key()) == "2"
            return taken
        finally:
            await client.close()

    assert asyncio.run(scenario()) == [True, True, False]


# ---------------------------------------------------------------- gateway: WeChat's 48 h window


class EchoAssistant:
    async def ask(self, channel: str, user: str, text: str, turn: Optional[str] = None, once: bool = False) -> List[Reply]:
        return [Reply(f"答：{text}")]

    async def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        return None


def test_the_wechat_channel_records_when_a_user_last_wrote() -> None:
    token, app_id = "pushtoken", "wx5c3a9f1e2b7d4c60"
    settings = GatewaySettings(wechat=WeChatSettings(token, app_id, "secret", None, "http://127.0.0.1:9"), web=False)
    pushes, store = WeChatPushes(token, app_id), MemoryStore()
    with TestClient(create_app(settings, assistant=EchoAssistant(), store=store)) as client:  # type: ignore[arg-type]
        for xml in (pushes.event("o_clicked", "CLICK", key="POLICY"), pushes.text("o_wrote", "你好")):
            params, body = pushes.signed(xml)
            assert client.post("/wechat", params=params, content=body, headers={"Content-Type": "text/xml"}).status_code == 200
        wrote_at = asyncio.run(store.get(last_inbound("o_wrote")))
        assert wrote_at is not None and abs(int(wrote_at) - time.time()) < 5
        assert asyncio.run(store.get(last_inbound("o_clicked"))) is None  # a menu click opens no 48 h window
        expires = store._data[last_inbound("o_wrote")][1]
        assert expires is not None and abs(expires - time.monotonic() - LAST_INBOUND_TTL) < 5
