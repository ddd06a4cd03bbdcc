"""Every store key of the Telegram channel, with how long it lasts: the one place they are built.
The gateway's replicas and the push worker share them through Redis (bot/gateway/stores.py).

  tg:<chat>           a chat's conversation (Rasa sender id, seen)
  tg:inactive:<chat>  the Unix time Telegram answered 403 for that chat (the user blocked the bot):
                      nothing is sent there until the user writes again
  tg:button:<id>      {"chat", "title", "payload"} of one button
  tg:update:<id>      an update already taken (webhook resends)
"""
from __future__ import annotations

INACTIVE_TTL = 365 * 24 * 3600
BUTTON_TTL = 24 * 3600
UPDATE_TTL = 24 * 3600


def sender(chat: int | str) -> str:
    return f"tg:{chat}"


def inactive(chat: int | str) -> str:
    return f"tg:inactive:{chat}"


def button(button_id: str) -> str:
    return f"tg:button:{button_id}"


def update(update_id: int) -> str:
    return f"tg:update:{update_id}"
