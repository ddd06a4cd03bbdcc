"""Every store key of the WeChat channel, with how long it lasts: the one place they are built.
The gateway's replicas and the push worker share them through Redis (bot/gateway/stores.py).

  wx:<openid>                          a follower's conversation (Rasa sender id, offered choices, seen)
  wx:inactive:<openid>                 the Unix time they unfollowed: nothing is pushed to them until
                                       they follow again
  wx:last_inbound:<openid>             the Unix time they last wrote (the 48 h customer-service window)
  wx:access_token, wx:token:refresh    the API token every process uses, and who is refreshing it
  wx:nonce:<timestamp>:<nonce>         a signed push's nonce, against replays
  wx:msg:<openid>:<MsgId>, wx:event:<openid>:<CreateTime>:<Event>
                                       a push's claim (one gateway answers it), with its :lease:<holder>
                                       and :reply keys
"""
from __future__ import annotations

INACTIVE_TTL = 365 * 24 * 3600
LAST_INBOUND_TTL = 48 * 3600
NONCE_TTL = 600
CLAIM_TTL = 3600.0
REPLY_TTL = 20.0  # WeChat's three attempts are over well within this

ACCESS_TOKEN = "wx:access_token"
TOKEN_REFRESH = "wx:token:refresh"


def sender(openid: str) -> str:
    return f"wx:{openid}"


def inactive(openid: str) -> str:
    return f"wx:inactive:{openid}"


def last_inbound(openid: str) -> str:
    return f"wx:last_inbound:{openid}"


def nonce(timestamp: str, value: str) -> str:
    return f"wx:nonce:{timestamp}:{value}"


def claim(openid: str, turn: str) -> str:
    """The push's claim: `wx:msg:<openid>:<MsgId>` or `wx:event:<openid>:<CreateTime>:<Event>`."""
    kind, _, rest = turn.partition(":")
    return f"wx:{kind}:{openid}:{rest}"


def lease(claim_key: str, holder: str) -> str:
    return f"{claim_key}:lease:{holder}"


def reply(claim_key: str) -> str:
    return f"{claim_key}:reply"
