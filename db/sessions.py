"""Web-chat sessions as everything beyond the gateway knows them.

The web chat's session id (in the `chat_session` cookie, `<session>.<signature>`, issued and
checked by the gateway: bot/channels/web/sessions.py) is a bearer secret: whoever holds the cookie
carries on that graduate's conversation, sees their registration summary and reads the staff's
replies, and the id is half of it. So neither leaves the gateway: Rasa's sender id (and with it
the tracker store and the logs), the ledger (registrations, drafts, handoff cases, subscriptions,
deliveries) and the keys the gateway keeps in the shared Store for it (the page's inbox, its rate
limit, the buttons offered) hold `web:<hash>`, a SHA-256 of the session, from which no cookie can
be made back (the session has 192 random bits). The hash is unkeyed so that the gateway needs no
ledger key, and fixed: db/migrations.py step 6 applied it to the identities stored before.
"""
from __future__ import annotations

import base64
import hashlib

WEB = "web"
_DOMAIN = b"web-chat-session\x00"


def hashed_session(session: str) -> str:
    """43 URL-safe characters standing for `session`."""
    digest = hashlib.sha256(_DOMAIN + session.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def web_identity(session: str) -> str:
    """The sender id and ledger identity of a web-chat session: `web:<hash>`."""
    return f"{WEB}:{hashed_session(session)}"
