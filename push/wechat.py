"""Sending a push message to a WeChat user: a customer-service (客服) text while the user's
48-hour window is open, a template message otherwise.

The window: the gateway records `wx:last_inbound:<openid>` (48 h TTL) in the shared Store when
the user writes; while it lives, a customer-service text goes out. Otherwise a template message
(WECHAT_TEMPLATE_ID), counted against the daily quota (WECHAT_TEMPLATE_DAILY_QUOTA); without a
template the delivery is skipped ("outside 48h window, no template").

The template is one the bureau adds in the admin console (服务号, 模板消息) with the fields
  first     【kind】title (with 根据你登记的求职意向 for a recommendation)
  keyword1  kind (招聘会, 招聘岗位 …)
  keyword2  time: the event's date and time, or the validity
  keyword3  place, online link or organiser
  remark    the beginning of the body and how to unsubscribe (回复“退订”)

The access token is the gateway's (WeChatClient: one token in the Store, one refresher); a token
WeChat calls stale is dropped and fetched again once. Errors: 45015 (outside the window) and
45047 (over the customer-service count) → skipped; 43004 (no longer following) → blocked;
45009 (API daily quota) → skipped; 40003 / 40037 / 45002 / 47001 → failed; others → retry. A
request that got no answer → unknown (it may have arrived). Nothing logs a URL: the token is in it.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, Optional, Tuple

import httpx

from bot.channels.wechat import keys as wechat_keys
from bot.channels.wechat.client import STALE_TOKEN, WeChatAPIError, WeChatClient
from bot.gateway.config import WeChatSettings
from bot.gateway.stores import Store
from notices.model import KINDS, Notice
from push.limits import TemplateQuota
from push.outcome import SENT, Outcome
from push.render import HEADINGS, WECHAT_BYTES, cn_date, render_text, shorten, unsubscribe_line, when

log = logging.getLogger(__name__)

CUSTOM_SEND = "/cgi-bin/message/custom/send"
TEMPLATE_SEND = "/cgi-bin/message/template/send"
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
SKIPPED = {45015: "outside 48h window (45015)", 45047: "customer-service message limit reached (45047)",
           45009: "WeChat daily API quota reached (45009)"}
BLOCKED = {43004: "user no longer follows the account (43004)"}
FAILED = {40003, 40037, 45002, 47001}
NO_TEMPLATE = "outside 48h window, no template"
QUOTA_USED = "template daily quota reached"


class WeChatSender:
    def __init__(self, settings: WeChatSettings, store: Store, quota: TemplateQuota, template_id: Optional[str] = None,
                 timeout: float = 10.0, http: Optional[httpx.AsyncClient] = None) -> None:
        self.store = store
        self.quota = quota
        self.template_id = template_id
        self.tokens = WeChatClient(settings, store, timeout=timeout)
        self._http = http or httpx.AsyncClient(base_url=settings.api_base_url, timeout=timeout)

    async def prepare(self, openid: str) -> Tuple[str, Optional[Outcome]]:
        """Which message this user can get now: ("custom", None), ("template", None) with the
        quota counted, or ("", outcome) when the delivery is to be skipped without a call."""
        if await self.store.get(wechat_keys.last_inbound(openid)):
            return "custom", None
        if not self.template_id:
            return "", Outcome("skipped", NO_TEMPLATE)
        if not await self.quota.take():
            await self.quota.give_back()
            return "", Outcome("skipped", QUOTA_USED)
        return "template", None

    async def unprepare(self, kind: str) -> None:
        """The prepared message is not sent after all (another worker had the delivery)."""
        if kind == "template":
            await self.quota.give_back()

    async def send(self, openid: str, notice: Notice, purpose: str, kind: str) -> Outcome:
        if kind == "custom":
            body: Dict[str, Any] = {"touser": openid, "msgtype": "text",
                                    "text": {"content": render_text(notice, purpose, WECHAT_BYTES)}}
            return await self._post(CUSTOM_SEND, body)
        outcome = await self._post(TEMPLATE_SEND, template_body(openid, str(self.template_id), notice, purpose))
        if outcome.status not in ("sent", "unknown"):
            await self.quota.give_back()
        return outcome

    async def send_text(self, openid: str, text: str) -> Outcome:
        """A customer-service text (a staff reply), only inside the user's 48-hour window: no
        template stands in for a conversation."""
        if not await self.store.get(wechat_keys.last_inbound(openid)):
            return Outcome("skipped", "outside 48h window: the graduate has not written in 48 hours")
        body: Dict[str, Any] = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        return await self._post(CUSTOM_SEND, body)

    async def close(self) -> None:
        await self._http.aclose()
        await self.tokens.close()

    async def _post(self, path: str, body: Dict[str, Any]) -> Outcome:
        try:
            token = await self.tokens.access_token()
            answer = await self._request(path, token, body)
            if answer.get("errcode") in STALE_TOKEN:
                if await self.store.get(wechat_keys.ACCESS_TOKEN) == token:
                    await self.store.delete(wechat_keys.ACCESS_TOKEN)
                answer = await self._request(path, await self.tokens.access_token(), body)
        except WeChatAPIError as error:  # no access token
            return Outcome("retry", f"no WeChat access token ({error.errcode})")
        except NOT_SENT as error:
            return Outcome("retry", f"WeChat unreachable ({type(error).__name__})")
        except (httpx.HTTPError, ValueError) as error:
            return Outcome("unknown", f"no answer from WeChat ({type(error).__name__}); it may have arrived")
        return classify(answer)

    async def _request(self, path: str, token: str, body: Dict[str, Any]) -> Dict[str, Any]:
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        response = await self._http.post(path, params={"access_token": token}, content=content,
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        response.raise_for_status()
        answer = response.json()
        return answer if isinstance(answer, dict) else {"errcode": -1, "errmsg": "not a JSON object"}


def classify(answer: Dict[str, Any]) -> Outcome:
    errcode = int(answer.get("errcode") or 0)
    if errcode == 0:
        return SENT
    if errcode in SKIPPED:
        return Outcome("skipped", SKIPPED[errcode])
    if errcode in BLOCKED:
        return Outcome("blocked", BLOCKED[errcode])
    reason = f"WeChat error {errcode}: {str(answer.get('errmsg', ''))[:120]}"
    return Outcome("failed" if errcode in FAILED else "retry", reason)


def template_body(openid: str, template_id: str, notice: Notice, purpose: str) -> Dict[str, Any]:
    validity = f"{cn_date(notice.valid_from)}至{cn_date(notice.valid_until)}"
    where = notice.place or notice.online_link or notice.organiser or "详见通知"
    first = f"{HEADINGS.get(purpose, '')}【{KINDS.get(notice.kind, '通知')}】{notice.title}"
    fields = {
        "first": first,
        "keyword1": KINDS.get(notice.kind, "通知"),
        "keyword2": when(notice) or validity,
        "keyword3": where,
        "remark": shorten(notice.body.strip(), 300) + "\n" + unsubscribe_line(notice, purpose),
    }
    return {"touser": openid, "template_id": template_id, "data": {k: {"value": v} for k, v in fields.items()}}
