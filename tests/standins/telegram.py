"""A loopback stand-in for the Telegram Bot API, speaking its protocol at /bot<token>/<method>.

Requests are JSON or form bodies (python-telegram-bot sends forms whose complex fields are JSON
strings); answers are {"ok": true, "result": ...} or {"ok": false, "error_code", "description",
"parameters"}. It runs with uvicorn in a thread of the test process:

    with TelegramStandIn(token) as telegram:
        telegram.send_text(chat, "你好")            # a user writes (picked up by getUpdates)
        [answer] = telegram.wait_for_messages(chat, 1)
        telegram.press(chat, answer, "c:…")          # a user presses an inline button

Methods: getMe, setMyCommands, deleteWebhook, setWebhook, getUpdates (long polling),
sendMessage, answerCallbackQuery, editMessageReplyMarkup. Every call is recorded. sendMessage can
be made to answer 403 for a chat (`block`), 429 once (`flood_once`), to answer late
(`delay_next`), or to run something between taking a message and answering (`after_next`: break
a dependency while the sender waits for the answer).
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, TypeVar
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import free_port

BOT = {"id": 7000001, "is_bot": True, "first_name": "就业服务助手", "username": "bj_jobs_standin_bot",
       "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "scope", "link_preview_options", "entities"}


@dataclass
class Call:
    method: str
    params: Dict[str, Any]
    at: float  # time.monotonic() when the answer left
    status: int = 200


@dataclass
class Sent:
    chat_id: int
    text: str
    reply_markup: Optional[Dict[str, Any]]
    at: float
    raw: Dict[str, Any] = field(repr=False, default_factory=dict)

    def buttons(self) -> List[Dict[str, Any]]:
        return [b for row in (self.reply_markup or {}).get("inline_keyboard", []) for b in row]

    def button(self, title: str) -> Dict[str, Any]:
        return next(b for b in self.buttons() if b["text"] == title)


_Self = TypeVar("_Self", bound="TelegramStandIn")  # a subclass entered is that subclass


class TelegramStandIn:
    def __init__(self, token: str) -> None:
        self.token = token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_base_url = f"{self.url}/bot"
        self._lock = threading.Condition()
        self._updates: List[Dict[str, Any]] = []
        self._next_update = 1000
        self._next_message = 1
        self.calls: List[Call] = []
        self.sent: List[Sent] = []
        self.blocked: Set[int] = set()
        self._flood: Dict[int, int] = {}
        self._delay: Dict[int, float] = {}
        self._after: Dict[int, Callable[[], None]] = {}
        self._server = uvicorn.Server(uvicorn.Config(self._app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", ws="none"))
        self._thread = threading.Thread(target=self._server.run, name="telegram-standin", daemon=True)

    # life

    def __enter__(self: _Self) -> _Self:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the Telegram stand-in did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    # what users do

    def text_update(self, chat_id: int, text: str, date: Optional[int] = None) -> Dict[str, Any]:
        """A user's text message as an update (not queued; for posting to a webhook)."""
        message: Dict[str, Any] = {"message_id": self._message_id(), "date": date or int(time.time()),
                                   "chat": _chat(chat_id), "from": _user(chat_id), "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": self._update_id(), "message": message}

    def send_text(self, chat_id: int, text: str) -> int:
        return self.queue(self.text_update(chat_id, text))

    def send_location(self, chat_id: int) -> int:
        message = {"message_id": self._message_id(), "date": int(time.time()), "chat": _chat(chat_id),
                   "from": _user(chat_id), "location": {"latitude": 39.9, "longitude": 116.4}}
        return self.queue({"update_id": self._update_id(), "message": message})

    def press(self, chat_id: int, message: Sent, callback_data: str) -> int:
        """A user presses an inline button under `message`; returns the callback query id."""
        update_id = self._update_id()
        query = {"id": str(update_id), "from": _user(chat_id), "message": message.raw,
                 "chat_instance": f"ci{chat_id}", "data": callback_data}
        self.queue({"update_id": update_id, "callback_query": query})
        return update_id

    def queue(self, update: Dict[str, Any]) -> int:
        with self._lock:
            self._updates.append(update)
            self._lock.notify_all()
        return int(update["update_id"])

    # how the Bot API behaves

    def block(self, chat_id: int) -> None:
        """sendMessage to this chat answers 403 (the user blocked the bot)."""
        self.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self.blocked.discard(chat_id)

    def flood_once(self, chat_id: int, retry_after: int) -> None:
        """The next sendMessage to this chat answers 429 with `retry_after`."""
        self._flood[chat_id] = retry_after

    def delay_next(self, chat_id: int, seconds: float) -> None:
        """The next sendMessage to this chat answers after `seconds`."""
        self._delay[chat_id] = seconds

    def after_next(self, chat_id: int, action: Callable[[], None]) -> None:
        """The next sendMessage to this chat is taken (recorded as sent), then `action` runs (in a
        thread, it may block), then the answer leaves."""
        self._after[chat_id] = action

    # what the bot did

    def calls_of(self, method: str) -> List[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method.lower()]

    def attempts(self, chat_id: int) -> List[Call]:
        """Every sendMessage to this chat, answered or refused."""
        return [c for c in self.calls_of("sendMessage") if c.params.get("chat_id") == chat_id]

    def messages(self, chat_id: int) -> List[Sent]:
        with self._lock:
            return [s for s in self.sent if s.chat_id == chat_id]

    def wait_for_messages(self, chat_id: int, count: int, timeout: float = 30.0) -> List[Sent]:
        return self.wait_until(lambda: len(self.messages(chat_id)) >= count, timeout,
                               f"{count} message(s) to chat {chat_id}", lambda: self.messages(chat_id))

    def wait_for_text(self, chat_id: int, needle: str, timeout: float = 30.0) -> List[Sent]:
        """The chat's messages once one of them contains `needle`."""
        return self.wait_until(lambda: any(needle in s.text for s in self.messages(chat_id)), timeout,
                               f"a message with {needle!r} to chat {chat_id}", lambda: self.messages(chat_id))

    def wait_until(self, done: Callable[[], bool], timeout: float, what: str, show: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"waited {timeout:.0f} s for {what}; got {show()!r}")
                self._lock.wait(min(left, 0.1))
        return show()

    # the server

    def _app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])])

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"].lower()
        params = await _params(request)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        response: JSONResponse = await handler(params)
        if not isinstance(response, _Recorded):
            self._record(Call(method, params, time.monotonic(), response.status_code))
        return response

    def _record(self, call: Call, sent: Optional[Sent] = None) -> None:
        with self._lock:
            self.calls.append(call)
            if sent is not None:
                self.sent.append(sent)
            self._lock.notify_all()

    async def _api_getme(self, params: Dict[str, Any]) -> JSONResponse:
        return _ok(BOT)

    async def _api_setmycommands(self, params: Dict[str, Any]) -> JSONResponse:
        return _ok(True)

    async def _api_deletewebhook(self, params: Dict[str, Any]) -> JSONResponse:
        return _ok(True)

    async def _api_setwebhook(self, params: Dict[str, Any]) -> JSONResponse:
        return _ok(True)

    async def _api_getupdates(self, params: Dict[str, Any]) -> JSONResponse:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = self._updates[: int(params.get("limit") or 100)]
            if ready or time.monotonic() >= deadline:
                return _ok(ready)
            await asyncio.sleep(0.02)

    async def _api_sendmessage(self, params: Dict[str, Any]) -> JSONResponse:
        chat_id = int(params["chat_id"])
        params["chat_id"] = chat_id
        delay = self._delay.pop(chat_id, 0.0)
        if delay:
            await asyncio.sleep(delay)
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat_id in self._flood:
            retry_after = self._flood.pop(chat_id)
            return _error(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        message = {"message_id": self._message_id(), "date": int(time.time()), "chat": _chat(chat_id),
                   "from": BOT, "text": str(params.get("text", ""))}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self._record(Call("sendmessage", params, time.monotonic()),
                     Sent(chat_id, message["text"], params.get("reply_markup"), time.monotonic(), message))
        after = self._after.pop(chat_id, None)
        if after is not None:
            await asyncio.get_running_loop().run_in_executor(None, after)
        return _ok(message, recorded=True)

    async def _api_answercallbackquery(self, params: Dict[str, Any]) -> JSONResponse:
        return _ok(True)

    async def _api_editmessagereplymarkup(self, params: Dict[str, Any]) -> JSONResponse:
        chat_id = int(params["chat_id"])
        message = {"message_id": int(params["message_id"]), "date": int(time.time()), "chat": _chat(chat_id),
                   "from": BOT, "text": "", "reply_markup": params.get("reply_markup")}
        return _ok(message)

    def _update_id(self) -> int:
        with self._lock:
            self._next_update += 1
            return self._next_update

    def _message_id(self) -> int:
        with self._lock:
            self._next_message += 1
            return self._next_message


class _Recorded(JSONResponse):
    """An answer whose call is already recorded (sendMessage records it with the message)."""


def _ok(result: Any, recorded: bool = False) -> JSONResponse:
    return (_Recorded if recorded else JSONResponse)({"ok": True, "result": result})


def _error(code: int, description: str, parameters: Optional[Dict[str, Any]] = None) -> JSONResponse:
    body: Dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=code)


async def _params(request: Request) -> Dict[str, Any]:
    body = await request.body()
    if not body:
        return dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/json"):
        data = json.loads(body)
        return data if isinstance(data, dict) else {}
    if request.headers.get("content-type", "").startswith("multipart/"):
        return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    return {k: json.loads(v) if k in JSON_FIELDS and v.startswith(("[", "{")) else v for k, v in pairs}


def _chat(chat_id: int) -> Dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "同学"}


def _user(chat_id: int) -> Dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "同学", "language_code": "zh-hans"}
