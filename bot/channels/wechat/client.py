"""A small async client of the WeChat official-account API: the access token, customer-service
(客服) text messages, the custom menu.

The access token lives in the shared Store (`wx:access_token`) so every gateway replica and the
menu command use one token: fetching a new one invalidates the old one after 5 minutes, so
workers that each fetched their own would keep invalidating each other (errors 40001/42001).
Exactly one caller fetches it (Store claim `wx:token:refresh`); the others poll the cache.

The token travels in every request URL: nothing here logs a URL, and httpx's own request log
is turned down to warnings.

Errors: WeChatAPIError (errcode and errmsg of a failed call, or a transport failure with
errcode -1). `send_text` does not raise: it answers False and logs why."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Dict, Optional

import httpx

from bot.channels.wechat import keys
from bot.gateway.config import WeChatSettings
from bot.gateway.stores import Store

log = logging.getLogger(__name__)

STALE_TOKEN = {40001, 42001, 40014}
OUT_OF_WINDOW = 45015
OVER_COUNT = 45047


class WeChatAPIError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatClient:
    def __init__(self, settings: WeChatSettings, store: Store, http: Optional[httpx.AsyncClient] = None,
                 timeout: float = 5.0, wait_for_token: float = 6.0) -> None:
        # httpx logs every request URL at INFO, and WeChat's URLs carry the token or the secret
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self.settings = settings
        self.store = store
        self.wait_for_token = wait_for_token
        self._http = http or httpx.AsyncClient(base_url=settings.api_base_url, timeout=timeout)

    async def send_text(self, openid: str, content: str) -> bool:
        """One customer-service text message; False (logged) when WeChat refused or was unreachable."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        try:
            await self._call("/cgi-bin/message/custom/send", body)
            return True
        except WeChatAPIError as error:
            if error.errcode == OUT_OF_WINDOW:
                log.warning("customer-service message not sent: the user is outside the 48 h window (45015)")
            elif error.errcode == OVER_COUNT:
                log.warning("customer-service message not sent: over the allowed count for this user (45047)")
            else:
                log.warning("customer-service message not sent: %s", error)
            return False

    async def create_menu(self, menu: Dict[str, Any]) -> None:
        await self._call("/cgi-bin/menu/create", menu)

    async def access_token(self) -> str:
        deadline = time.monotonic() + self.wait_for_token
        while True:
            token = await self.store.get(keys.ACCESS_TOKEN)
            if token:
                return token
            if await self.store.claim(keys.TOKEN_REFRESH, self.wait_for_token + 4.0):
                try:
                    return await self._fetch_token()
                finally:
                    await self.store.delete(keys.TOKEN_REFRESH)
            if time.monotonic() > deadline:
                raise WeChatAPIError(-1, "no access token: another refresher did not finish in time")
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        token = await self.access_token()
        answer = await self._post(path, token, body)
        if answer.get("errcode") in STALE_TOKEN:
            log.info("access token refused (%s): refreshing once", answer.get("errcode"))
            await self._forget(token)
            answer = await self._post(path, await self.access_token(), body)
        _raise_for(answer)
        return answer

    async def _post(self, path: str, token: str, body: Dict[str, Any]) -> Dict[str, Any]:
        # WeChat wants the UTF-8 text itself; \\u escapes end up shown literally (menus)
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return await self._request("POST", path, {"access_token": token}, content)

    async def _fetch_token(self) -> str:
        params = {"grant_type": "client_credential", "appid": self.settings.app_id, "secret": self.settings.app_secret}
        answer = await self._request("GET", "/cgi-bin/token", params)
        _raise_for(answer)
        token, expires_in = answer.get("access_token"), answer.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int) or expires_in <= 0:
            raise WeChatAPIError(-1, "token answer without access_token / expires_in")
        ttl = expires_in - 300 if expires_in > 600 else expires_in / 2
        await self.store.set(keys.ACCESS_TOKEN, token, ttl)
        log.info("new access token, cached for %d s", ttl)
        return token

    async def _forget(self, stale: str) -> None:
        """Drop the cached token, unless another worker already replaced it."""
        if await self.store.get(keys.ACCESS_TOKEN) == stale:
            await self.store.delete(keys.ACCESS_TOKEN)

    async def _request(self, method: str, path: str, params: Dict[str, str], content: Optional[bytes] = None) -> Dict[str, Any]:
        headers = {"Content-Type": "application/json; charset=utf-8"} if content is not None else None
        try:
            response = await self._http.request(method, path, params=params, content=content, headers=headers)
            response.raise_for_status()
            answer = response.json()
        except (httpx.HTTPError, ValueError) as error:
            # the exception text would hold the URL, and with it the token or the secret
            raise WeChatAPIError(-1, f"{path} unreachable or not JSON ({type(error).__name__})") from None
        if not isinstance(answer, dict):
            raise WeChatAPIError(-1, f"{path} answered something other than a JSON object")
        return answer


def _raise_for(answer: Dict[str, Any]) -> None:
    errcode = answer.get("errcode", 0)
    if errcode:
        raise WeChatAPIError(int(errcode), str(answer.get("errmsg", "")))
