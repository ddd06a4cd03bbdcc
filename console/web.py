"""HTTP plumbing shared by the console's API: the session check, the CSRF and content-type
checks of state-changing calls, JSON bodies, errors and the security headers.

Every API handler is a plain function `handler(call) -> dict | Response`, run in a worker
thread (the database calls block); it raises ApiError for a refusal, whose message staff read.
"""
from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Collection, Dict, Mapping, Optional, Union

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.gateway.http import read_limited
from console.accounts import Staff, StaffStore
from db.engine import storable

log = logging.getLogger(__name__)

COOKIE = "console_session"
CSRF_HEADER = "X-CSRF-Token"
MAX_BODY = 64 * 1024

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                                "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class ApiError(Exception):
    """A refused call: HTTP status and a message for staff (Chinese)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Call:
    staff: Staff
    params: Mapping[str, Any] = field(default_factory=dict)  # from the path
    query: Mapping[str, str] = field(default_factory=dict)
    body: Dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Call], Union[Dict[str, Any], Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def endpoint(accounts: StaffStore, handler: Handler, write: bool = False) -> Endpoint:
    """A Starlette endpoint: session required; for `write`, CSRF token and a JSON body too."""

    async def run(request: Request) -> Response:
        try:
            staff = await run_in_threadpool(accounts.session, request.cookies.get(COOKIE))
            if staff is None:
                raise ApiError(401, "请先登录")
            body: Dict[str, Any] = {}
            if write:
                check_csrf(request, staff)
                body = await json_body(request)
            result = await run_in_threadpool(handler, Call(staff, dict(request.path_params), request.query_params, body))
        except ApiError as error:
            return refusal(error)
        return result if isinstance(result, Response) else JSONResponse(result)

    return run


def check_csrf(request: Request, staff: Staff) -> None:
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent.encode("utf-8", "replace"), staff.csrf.encode("ascii")):
        raise ApiError(403, "请求缺少有效的安全令牌（CSRF），请刷新页面后重试")


async def json_body(request: Request) -> Dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise ApiError(415, "只接受 JSON 请求")
    raw = await read_limited(request, MAX_BODY)
    if raw is None:
        raise ApiError(413, "请求内容过大")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        raise ApiError(400, "请求格式错误（JSON）") from None
    if not isinstance(data, dict):
        raise ApiError(400, "请求格式错误（应为 JSON 对象）")
    return data


def refusal(error: ApiError) -> JSONResponse:
    return JSONResponse({"error": error.message}, status_code=error.status)


def text_field(body: Mapping[str, Any], name: str, label: str, most: int, required: bool = False) -> Optional[str]:
    """A trimmed text field of at most `most` characters; empty → None (or refused if required)."""
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ApiError(400, f"请填写{label}")
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{label}格式不对（应为文字）")
    if not storable(value):
        raise ApiError(400, f"{label}含有无法识别的字符，请删除后重试")
    value = value.strip()
    if len(value) > most:
        raise ApiError(400, f"{label}最多 {most} 个字")
    return value


def choice_field(body: Mapping[str, Any], name: str, choices: Collection[str], message: str) -> str:
    """One of `choices`, sent as a string (a list or an object holding one is refused with `message`)."""
    value = body.get(name)
    if not isinstance(value, str) or value not in choices:
        raise ApiError(400, message)
    return value


def set_session_cookie(response: Response, request: Request, value: str, max_age: int) -> None:
    response.set_cookie(COOKIE, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/console")


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/console")


class InternalErrors:
    """An unexpected exception becomes a 500 answered inside the security headers' middleware (Starlette's own error
    answer comes from outside every middleware, without them); the exception is logged, the path
    is not (it may carry a registration number)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            if started:
                raise
            log.exception("console: unexpected error answering a %s request", scope.get("method"))
            await refusal(ApiError(500, "服务器出错了，请稍后再试"))(scope, receive, send)
