"""Buttons on channels without buttons: the choices a graduate was last offered, so that a bare
number ("2") sends the second choice's payload.

Choices are a convenience: when the shared store is away (a Redis restart), a number goes to the
assistant as typed and the answer is still given, never a 5xx."""
from __future__ import annotations

import json
import logging
import re
from typing import List, Optional, Sequence

from bot.gateway.replies import Button
from bot.gateway.stores import Store

log = logging.getLogger(__name__)
TTL = 24 * 3600
_NUMBER = re.compile(r"^\s*(?:第|选)?\s*(\d{1,2})\s*(?:个|项|号)?\s*$")


class Choices:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def remember(self, sender: str, buttons: Sequence[Button]) -> None:
        key = f"choices:{sender}"
        try:
            if buttons:
                await self.store.set(key, json.dumps([b.payload for b in buttons], ensure_ascii=False), TTL)
            else:
                await self.store.delete(key)
        except Exception as error:  # the store is away: the answer still goes out
            log.warning("offered choices not stored (%s)", type(error).__name__)

    async def resolve(self, sender: str, text: str) -> str:
        """The payload a bare number picks from the last offered choices; else the text."""
        match = _NUMBER.match(text.translate(_FULL_WIDTH_DIGITS))
        if not match:
            return text
        try:
            stored = await self.store.get(f"choices:{sender}")
        except Exception as error:  # the store is away: the number goes as typed
            log.warning("offered choices not read (%s)", type(error).__name__)
            return text
        payloads: List[str] = json.loads(stored) if stored else []
        number = int(match.group(1))
        return payloads[number - 1] if 1 <= number <= len(payloads) else text

    async def payload(self, sender: str, index: int) -> Optional[str]:
        stored = await self.store.get(f"choices:{sender}")
        payloads: List[str] = json.loads(stored) if stored else []
        return payloads[index] if 0 <= index < len(payloads) else None


_FULL_WIDTH_DIGITS = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)})
