"""Web chat session ids, issued by the gateway only.

The cookie holds `<session>.<tag>`: a random session id and its HMAC under a key kept in the shared
Store (made by the first replica that needs it; with Redis every replica uses the same one). A
cookie the gateway did not issue has no valid tag and is replaced by a fresh session, so nobody can
hand a victim a session id chosen in advance (session fixation). Neither the cookie nor the
session leaves the gateway: the sender id Rasa, the handoff cases, the ledger and the logs see is
`web:<hash of the session>` (db/sessions.py), from which no cookie can be made back.

When the store is away, ids are signed with a key of this process until it is back; those stay
valid here."""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from typing import List, Optional, Tuple

from bot.channels.web import keys
from bot.gateway.stores import Store

log = logging.getLogger(__name__)

_COOKIE = re.compile(r"([A-Za-z0-9_-]{32})\.([A-Za-z0-9_-]{22})")


class Sessions:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._own = secrets.token_bytes(32)  # while the store is away

    async def issue(self) -> Tuple[str, str]:
        """A new (session, cookie value)."""
        session = secrets.token_urlsafe(24)
        return session, f"{session}.{tag(await self._key(), session)}"

    async def session_of(self, cookie: Optional[str]) -> Optional[str]:
        """The session a cookie value names, when this gateway issued it; else None."""
        match = _COOKIE.fullmatch(cookie or "")
        if match is None:
            return None
        session, given = match.groups()
        keys: List[bytes] = [await self._key(), self._own]
        return session if any(hmac.compare_digest(given, tag(key, session)) for key in keys) else None

    async def _key(self) -> bytes:
        """The shared key (made now if there is none yet), or this process's own while the store is away."""
        try:
            shared = await self.store.get(keys.SESSION_KEY)
            if shared is None:
                await self.store.claim(keys.SESSION_KEY, keys.SESSION_KEY_TTL, secrets.token_urlsafe(32))
                shared = await self.store.get(keys.SESSION_KEY)
        except Exception as error:  # the store is away: sessions of this process only
            log.warning("web chat session key not read (%s)", type(error).__name__)
            return self._own
        return shared.encode("ascii") if shared else self._own


def tag(key: bytes, session: str) -> str:
    digest = hmac.new(key, f"web-session:{session}".encode("ascii"), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
