"""Logging in and out, and who is logged in (with the lists the pages offer)."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.console.accounts import Staff, StaffStore
from bot.console.throttle import LoginThrottle
from bot.console.web import (COOKIE, ApiError, Call, check_csrf, clear_session_cookie, endpoint, json_body, refusal,
                             set_session_cookie)
from ledger.fields import DEGREES, FOLLOW_UP_KINDS, SERVICES, STATUSES
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
        address = request.client.host if request.client else "unknown"
        await asyncio.sleep(self.throttle.delay(address))
        result = await run_in_threadpool(self.accounts.login, username.strip(), password)
        if result.just_locked:
            await run_in_threadpool(self.ledger.audit, username.strip()[:64], "login_locked", {"address": address})
        if result.staff is None or result.session is None:
            self.throttle.failed(address)
            if result.locked:
                return refusal(ApiError(429, f"登录失败次数过多，账号已锁定，请 {self.accounts.lock.seconds // 60} 分钟后再试"))
            return refusal(ApiError(401, "用户名或密码错误"))
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
