"""What became of one send, as both channel senders report it.

status: sent | retry (nothing went out; try again later) | pause (Telegram's 429: try again after
`retry_after`, every worker waits) | blocked (the user blocked the bot or left) | skipped (the
channel's rules forbid this message now) | failed (refused for good) | unknown (no answer: the
message may have arrived, so it is not sent again)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Outcome:
    status: str
    error: Optional[str] = None
    retry_after: float = 0.0


SENT = Outcome("sent")
