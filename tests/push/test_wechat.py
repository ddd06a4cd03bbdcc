"""Broadcasts to WeChat users against the WeChat API stand-in (customer-service messages only
inside the user's 48 h window; template messages): who gets which kind of message, the daily
template quota, and WeChat's refusals (45015, 45047)."""
from __future__ import annotations

import asyncio
from typing import Dict, List

from push.config import PushSettings
from push.limits import TemplateQuota
from push.wechat import NO_TEMPLATE, QUOTA_USED
from tests.push.conftest import Bureau, Running, WeChatWithTemplates, fair, gateway_store, push_settings


def _store_marks(prefix: str, marks: Dict[str, str]) -> None:
    async def put() -> None:
        store = gateway_store(prefix)
        for key, value in marks.items():
            await store.set(key, value, 48 * 3600)
        await store.close()

    asyncio.run(put())


def test_wechat_users_get_customer_service_messages_in_their_window_templates_otherwise(
        bureau: Bureau, wechat: WeChatWithTemplates, redis_prefix: str) -> None:
    wrote, stale, gone, outside = "o_wrote_recently", "o_window_closed", "o_unfollowed", ["o_quiet_1", "o_quiet_2"]
    wechat.wrote(wrote)
    _store_marks(redis_prefix, {f"wx:last_inbound:{wrote}": "1", f"wx:last_inbound:{stale}": "1",  # WeChat will say 45015
                                f"wx:inactive:{gone}": "1"})
    bureau.subscribe([f"wx:{o}" for o in [wrote, stale, gone, *outside]])
    first = bureau.broadcast()
    settings = push_settings(bureau, redis_prefix, wechat=wechat, template_id="TMPL_JOBFAIR", template_daily_quota=1)
    with Running(settings):
        bureau.wait_status(first, "done", 30)
    states = bureau.deliveries(first)
    assert states[f"wx:{wrote}"][0] == "sent"
    [text] = wechat.texts_to(wrote)
    assert text.startswith("【招聘会】海淀区高校毕业生专场招聘会") and "回复“退订”" in text
    assert states[f"wx:{stale}"] == ("skipped", 1, "outside 48h window (45015)")
    assert states[f"wx:{gone}"][:2] == ("blocked", 0)
    # one template message within the quota of 1; the other user is skipped, not sent late
    outcome = sorted(states[f"wx:{o}"][0] for o in outside)
    assert outcome == ["sent", "skipped"]
    [template] = wechat.templates
    assert template["template_id"] == "TMPL_JOBFAIR" and template["data"]["first"]["value"] == "【招聘会】海淀区高校毕业生专场招聘会"
    assert states[f"wx:{template['touser']}"][0] == "sent"
    assert [s[2] for o, s in states.items() if s[0] == "skipped" and o[3:] in outside] == [QUOTA_USED]
    assert asyncio.run(_quota_used(redis_prefix)) == 1


async def _quota_used(prefix: str) -> int:
    from redis import asyncio as aioredis

    from tests.push.conftest import REDIS_URL

    client = aioredis.from_url(REDIS_URL, decode_responses=True)
    try:
        return int(await client.get(TemplateQuota(1, client, f"{prefix}gw:").key()) or 0)
    finally:
        await client.close()


def test_without_a_template_users_outside_the_window_are_skipped_and_45047_is_a_skip(
        bureau: Bureau, wechat: WeChatWithTemplates, redis_prefix: str) -> None:
    wrote, quiet = "o_wrote_often", "o_quiet"
    wechat.wrote(wrote)
    wechat.fail_next_send(45047)  # this user already had their 5 customer-service messages
    _store_marks(redis_prefix, {f"wx:last_inbound:{wrote}": "1"})
    bureau.subscribe([f"wx:{wrote}", f"wx:{quiet}"])
    broadcast = bureau.broadcast(fair(title="朝阳区招聘会", district="朝阳区"))
    settings: PushSettings = push_settings(bureau, redis_prefix, wechat=wechat)
    with Running(settings):
        bureau.wait_status(broadcast, "done", 30)
    states = bureau.deliveries(broadcast)
    assert states[f"wx:{quiet}"] == ("skipped", 0, NO_TEMPLATE)
    assert states[f"wx:{wrote}"] == ("skipped", 1, "customer-service message limit reached (45047)")
    assert wechat.templates == [] and wechat.texts_to(wrote) == []
    sent: List[str] = [m["touser"] for m in wechat.messages]
    assert sent == []
