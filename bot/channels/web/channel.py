"""Web chat: GET /chat serves the page; POST /chat/message takes {"message": "..."} and answers
{"replies": [{"text", "buttons": [{"title", "payload"}]}]}; GET /chat/inbox hands the page what
staff wrote since it last asked (a handoff to a person: the push worker puts staff replies into
the session's inbox in the shared Store, push/replies.py), {"messages": [{"text"}]}.

The session is a random id in an HttpOnly, SameSite=Strict cookie set by the gateway and signed by
it (`<session>.<signature>`, sessions.py); a cookie it did not issue is replaced, so the page never
chooses it. The session is a bearer secret and never leaves the gateway: the sender id (Rasa, the
ledger, handoff cases, the inbox key, the logs) is `web:<hash of the session>` (db/sessions.py).
Only JSON bodies are accepted (a cross-site form cannot send one without a CORS preflight, which is
never granted).

Messages are rate-limited per session and per client address (bot/gateway/limits.py; the limits
are GatewaySettings' web_session_limit and web_address_limit): over either, 429 with Retry-After
and a line the page shows, and nothing reaches Rasa."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.web import keys
from bot.channels.web.sessions import Sessions
from bot.gateway.assistant import SORRY, Assistant, AssistantUnavailable
from bot.gateway.choices import Choices
from bot.gateway.http import BadJSON, load_json, read_limited
from bot.gateway.config import WEB_ADDRESS_LIMIT, WEB_SESSION_LIMIT
from bot.gateway.limits import Limiter, Rate, address_key, retry_after
from bot.gateway.replies import Reply, all_buttons
from bot.gateway.stores import Store
from db.sessions import hashed_session

PAGE = Path(__file__).with_name("page.html")
SCRIPT = Path(__file__).with_name("app.js")
COOKIE = "chat_session"
MAX_BODY = 8 * 1024
MAX_MESSAGE = 2000
TOO_FAST = "消息发得太快了，请{seconds}秒后再发。"


class WebChannel:
    name = "web"

    def __init__(self, assistant: Assistant, choices: Choices, store: Store,
                 session_limit: Rate = WEB_SESSION_LIMIT, address_limit: Rate = WEB_ADDRESS_LIMIT) -> None:
        self.assistant = assistant
        self.choices = choices
        self.store = store
        self.sessions = Sessions(store)
        self.limiter = Limiter(store)
        self.session_limit = session_limit
        self.address_limit = address_limit
        self.page = PAGE.read_text(encoding="utf-8")
        self.script = SCRIPT.read_text(encoding="utf-8")

    def routes(self) -> List[BaseRoute]:
        return [
            Route("/chat", self.show, methods=["GET"]),
            Route("/chat/app.js", self.app_js, methods=["GET"]),
            Route("/chat/message", self.message, methods=["POST"]),
            Route("/chat/inbox", self.inbox, methods=["GET"]),
        ]

    async def startup(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def show(self, request: Request) -> Response:
        response = HTMLResponse(self.page, headers=SECURITY_HEADERS)
        if await self.sessions.session_of(request.cookies.get(COOKIE)) is None:
            set_session(response, request, (await self.sessions.issue())[1])
        return response

    async def app_js(self, request: Request) -> Response:
        return Response(self.script, media_type="text/javascript; charset=utf-8", headers=SECURITY_HEADERS)

    async def message(self, request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "expected application/json"}, status_code=415)
        body = await read_limited(request, MAX_BODY)
        if body is None:
            return JSONResponse({"error": "message too large"}, status_code=413)
        try:
            data = load_json(body)
        except BadJSON:
            return JSONResponse({"error": "malformed JSON, or text that is not valid Unicode"}, status_code=400)
        text = data.get("message") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE:
            return JSONResponse({"error": f"'message' must be text of 1–{MAX_MESSAGE} characters"}, status_code=400)
        session = await self.sessions.session_of(request.cookies.get(COOKIE))
        cookie: Optional[str] = None
        if session is None:
            session, cookie = await self.sessions.issue()
        known_as = hashed_session(session)
        wait = await self._wait(known_as, request)
        if wait > 0:
            return too_fast(wait)
        sender = keys.sender(known_as)
        try:
            replies = await self.assistant.ask("web", known_as, await self.choices.resolve(sender, text.strip()))
        except AssistantUnavailable:
            replies = [Reply(SORRY)]
        await self.choices.remember(sender, all_buttons(replies))
        response = JSONResponse({"replies": [as_json(r) for r in replies]})
        if cookie is not None:
            set_session(response, request, cookie)
        return response

    async def _wait(self, known_as: str, request: Request) -> float:
        """Seconds before the session known as `known_as` (its hash) and this client may send again
        (0.0: now, and counted)."""
        wait = await self.limiter.wait(keys.session_count(known_as), self.session_limit)
        if wait > 0:
            return wait
        return await self.limiter.wait(keys.address_count(address_key(request.client.host if request.client else None)),
                                       self.address_limit)

    async def inbox(self, request: Request) -> Response:
        session = await self.sessions.session_of(request.cookies.get(COOKIE))
        if session is None:
            return JSONResponse({"messages": []}, headers=NO_STORE)
        items = await self.store.drain(keys.inbox(hashed_session(session)))
        messages = []
        for item in items:
            try:
                text = json.loads(item).get("text")
            except (ValueError, AttributeError):
                continue
            if isinstance(text, str) and text:
                messages.append({"text": text})
        return JSONResponse({"messages": messages}, headers=NO_STORE)


NO_STORE = {"Cache-Control": "no-store"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def as_json(reply: Reply) -> Dict[str, Any]:
    return {"text": reply.text, "buttons": [{"title": b.title, "payload": b.payload} for b in reply.buttons]}


def too_fast(wait: float) -> JSONResponse:
    seconds = retry_after(wait)
    return JSONResponse({"error": TOO_FAST.format(seconds=seconds)}, status_code=429, headers={"Retry-After": seconds})


def set_session(response: Response, request: Request, cookie: str) -> None:
    response.set_cookie(COOKIE, cookie, max_age=30 * 24 * 3600, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/chat")
