"""Logging in and out, and who is logged in (with the lists the pages offer)."""
from __future__ import annotations

import asyncio
import math
from typing import Any, Dict, List

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from console.accounts import Staff, StaffStore
from console.throttle import LoginThrottle
from console.web import (COOKIE, ApiError, Call, check_csrf, clear_session_cookie, endpoint, json_body, refusal,
                             set_session_cookie)
from db.tables import DEGREES
from ledger.fields import FOLLOW_UP_KINDS, SERVICES, STATUSES
from ledger.store import Ledger
from notices.model import KINDS


class AuthApi:
    def __init__(self, accounts: StaffStore, ledger: Ledger, throttle: LoginThrottle, districts: List[str]) -> None:
        self.accounts = accounts
        self.ledger = ledger
        self.throttle = throttle
        self.districts = districts

    def routes(self) -> List[BaseRoute]:
        return [
            Route("/console/api/login", self.login, methods=["POST"]),
            Route("/console/api/logout", self.logout, methods=["POST"]),
            Route("/console/api/me", endpoint(self.accounts, self.me), methods=["GET"]),
        ]

    async def login(self, request: Request) -> Response:
        try:
            body = await json_body(request)
            username, password = body.get("username"), body.get("password")
            if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
                raise ApiError(400, "请输入用户名和密码")
        except ApiError as error:
            return refusal(error)
        name = username.strip()
        address = request.client.host if request.client else "unknown"  # a trusted proxy's client (proxies.py)
        wait = self.throttle.wait(name, address)
        if wait > 0:  # unchecked, the same for every name: known and unknown ones answer alike
            return too_soon(wait)
        delay = self.throttle.delay(address)
        failures = self.throttle.attempt(name, address)
        await asyncio.sleep(delay)
        result = await run_in_threadpool(self.accounts.login, name, password)
        if result.staff is None or result.session is None:
            response = refusal(ApiError(401, "用户名或密码错误"))
            if result.known and failures == self.throttle.free + 1:  # written after the answer is sent
                response.background = BackgroundTask(self.ledger.audit, name, "login_throttled",
                                                     {"address": address, "failures": failures})
            return response
        self.throttle.succeeded(name, address)
        await run_in_threadpool(self.ledger.audit, result.staff.username, "login", {"address": address})
        response = JSONResponse(self.whoami(result.staff))
        set_session_cookie(response, request, result.session, int(self.accounts.session_life.total_seconds()))
        return response

    async def logout(self, request: Request) -> Response:
        cookie = request.cookies.get(COOKIE)
        staff = await run_in_threadpool(self.accounts.session, cookie)
        if staff is not None:
            try:
                check_csrf(request, staff)
                await json_body(request)
            except ApiError as error:
                return refusal(error)
            await run_in_threadpool(self.accounts.logout, cookie)
        response = JSONResponse({"ok": True})
        clear_session_cookie(response, request)
        return response

    def me(self, call: Call) -> Dict[str, Any]:
        return self.whoami(call.staff)

    def whoami(self, staff: Staff) -> Dict[str, Any]:
        return {
            "user": staff.public(),
            "csrf": staff.csrf,
            "lists": {
                "districts": self.districts,
                "kinds": KINDS,
                "degrees": DEGREES,
                "statuses": STATUSES,
                "services": SERVICES,
                "follow_up_kinds": FOLLOW_UP_KINDS,
            },
        }


def too_soon(wait: float) -> Response:
    """429 with Retry-After: this name from this address may be tried again in `wait` seconds."""
    seconds = max(1, math.ceil(wait))
    later = f"{seconds} 秒" if seconds < 60 else f"{math.ceil(seconds / 60)} 分钟"
    response = refusal(ApiError(429, f"登录失败次数过多，请 {later}后再试"))
    response.headers["Retry-After"] = str(seconds)
    return response
