"""Web chat: GET /chat serves the page; POST /chat/message takes {"message": "..."} and answers
{"replies": [{"text", "buttons": [{"title", "payload"}]}]}; GET /chat/inbox hands the page what
staff wrote since it last asked (a handoff to a person: the push worker puts staff replies into
the session's inbox in the shared Store, bot/push/replies.py), {"messages": [{"text"}]}.

The session is a random id in an HttpOnly, SameSite=Strict cookie set by the gateway; the page
never chooses it. It is a bearer secret and never leaves the gateway: the sender id (Rasa, the
ledger, handoff cases, the inbox key, the logs) is `web:<hash of the session>` (ledger/sessions.py). Only JSON bodies are accepted (a cross-site form
cannot send one without a CORS preflight, which is never granted)."""
from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any, Dict, List

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from bot.gateway.http import read_limited
from starlette.routing import BaseRoute, Route

from bot.gateway.assistant import SORRY, Assistant, AssistantUnavailable
from bot.gateway.choices import Choices
from bot.gateway.replies import Reply, all_buttons
from bot.gateway.stores import Store
from ledger.sessions import hashed_session

PAGE = Path(__file__).with_name("page.html")
SCRIPT = Path(__file__).with_name("app.js")
COOKIE = "chat_session"
MAX_BODY = 8 * 1024
MAX_MESSAGE = 2000


class WebChannel:
    name = "web"

    def __init__(self, assistant: Assistant, choices: Choices, store: Store) -> None:
        self.assistant = assistant
        self.choices = choices
        self.store = store
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
        if not valid_session(request.cookies.get(COOKIE)):
            set_session(response, request, secrets.token_urlsafe(24))
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
            data = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
            return JSONResponse({"error": "malformed JSON"}, status_code=400)
        text = data.get("message") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE:
            return JSONResponse({"error": f"'message' must be text of 1–{MAX_MESSAGE} characters"}, status_code=400)
        session = request.cookies.get(COOKIE)
        fresh = not valid_session(session)
        session = secrets.token_urlsafe(24) if fresh else str(session)
        known_as = hashed_session(session)
        sender = f"web:{known_as}"
        try:
            replies = await self.assistant.ask("web", known_as, await self.choices.resolve(sender, text.strip()))
        except AssistantUnavailable:
            replies = [Reply(SORRY)]
        await self.choices.remember(sender, all_buttons(replies))
        response = JSONResponse({"replies": [as_json(r) for r in replies]})
        if fresh:
            set_session(response, request, session)
        return response


    async def inbox(self, request: Request) -> Response:
        session = request.cookies.get(COOKIE)
        if not valid_session(session):
            return JSONResponse({"messages": []}, headers=NO_STORE)
        items = await self.store.drain(web_inbox_key(hashed_session(str(session))))
        messages = []
        for item in items:
            try:
                text = json.loads(item).get("text")
            except (ValueError, AttributeError):
                continue
            if isinstance(text, str) and text:
                messages.append({"text": text})
        return JSONResponse({"messages": messages}, headers=NO_STORE)


def web_inbox_key(known_as: str) -> str:
    """Where staff replies wait for the page of the session known as `known_as` (its hash, the
    part of the sender id after `web:`), kept WEB_INBOX_TTL after the last one."""
    return f"web:inbox:{known_as}"


WEB_INBOX_TTL = 7 * 24 * 3600.0
NO_STORE = {"Cache-Control": "no-store"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def as_json(reply: Reply) -> Dict[str, Any]:
    return {"text": reply.text, "buttons": [{"title": b.title, "payload": b.payload} for b in reply.buttons]}


def valid_session(value: Any) -> bool:
    return isinstance(value, str) and 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum()


def set_session(response: Response, request: Request, session: str) -> None:
    response.set_cookie(COOKIE, session, max_age=30 * 24 * 3600, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/chat")
