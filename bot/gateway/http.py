"""HTTP helpers shared by the channels."""
from __future__ import annotations

from typing import List, Optional

from starlette.requests import Request


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
