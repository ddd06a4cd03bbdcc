"""HTTP helpers shared by the channels."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# what every gateway answer carries unless it sets its own (the web chat's page does)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class BadJSON(ValueError):
    """A body that is not JSON in UTF-8 holding only text that can be written back out."""


async def read_limited(request: Request, limit: int) -> Optional[bytes]:
    """The body, or None when it is larger than `limit` bytes (read no further than that)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: List[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def load_json(body: bytes) -> Any:
    """The JSON document in `body`; BadJSON for invalid UTF-8, malformed JSON, nesting thousands
    deep, or a lone surrogate (`"\\ud800"`: valid JSON, but no UTF-8 can carry it on to Rasa)."""
    try:
        data = json.loads(body.decode("utf-8-sig"))  # strict, but a leading BOM is allowed
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError) as error:  # UnicodeError is a ValueError
        raise BadJSON(type(error).__name__) from None
    return data


class SecurityHeaders:
    """Adds security headers to every answer (those an answer set itself are kept): the gateway's
    SECURITY_HEADERS, or the ones given (the console's)."""

    def __init__(self, app: ASGIApp, headers: Optional[Dict[str, str]] = None) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS if headers is None else headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
