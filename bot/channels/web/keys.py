"""Every store key of the web chat, with how long it lasts: the one place they are built. The
gateway's replicas and the push worker share them through Redis (bot/gateway/stores.py). A session
is known by the hash of its id (db/sessions.py), never the id.

  web:<hash>              a session's conversation (Rasa sender id, offered choices)
  web:session:<hash>      its message count (WEB_CHAT_SESSION_LIMIT)
  web:address:<address>   a client address's message count (WEB_CHAT_ADDRESS_LIMIT)
  web:inbox:<hash>        staff replies waiting for the page, kept INBOX_TTL after the last one
  web:session-key         the key that signs session cookies, shared by the replicas
"""
from __future__ import annotations

INBOX_TTL = 7 * 24 * 3600.0
SESSION_KEY = "web:session-key"
SESSION_KEY_TTL = 10 * 365 * 24 * 3600.0


def sender(known_as: str) -> str:
    return f"web:{known_as}"


def session_count(known_as: str) -> str:
    return f"web:session:{known_as}"


def address_count(address: str) -> str:
    return f"web:address:{address}"


def inbox(known_as: str) -> str:
    return f"web:inbox:{known_as}"
