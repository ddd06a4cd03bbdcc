"""What the assistant says, independent of the channel: texts with buttons.

Rasa's REST channel answers a list of messages ({"text", "buttons": [{"title", "payload"}]});
each channel renders them its own way (WeChat: numbered choices; Telegram: inline keyboards; web:
buttons)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: Tuple[Button, ...] = ()
    image: Optional[str] = None


def from_rasa(messages: Sequence[Dict[str, Any]]) -> List[Reply]:
    replies: List[Reply] = []
    for message in messages:
        buttons = tuple(
            Button(str(b.get("title", "")), str(b.get("payload", b.get("title", ""))))
            for b in message.get("buttons") or []
            if isinstance(b, dict)
        )
        text = str(message.get("text") or "")
        image = message.get("image") if isinstance(message.get("image"), str) else None
        if text or buttons or image:
            replies.append(Reply(text, buttons, image))
    return replies


def all_buttons(replies: Sequence[Reply]) -> List[Button]:
    return [button for reply in replies for button in reply.buttons]


def split_text(text: str, max_bytes: int) -> List[str]:
    """Pieces of at most `max_bytes` UTF-8 bytes, cut at line ends where possible, never inside
    a character or a link."""
    pieces: List[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode("utf-8")) <= max_bytes:
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = ""
        while len(line.encode("utf-8")) > max_bytes:
            cut = _cut(line, max_bytes)
            pieces.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        pieces.append(current)
    return pieces


def _cut(line: str, max_bytes: int) -> int:
    size = 0
    for index, ch in enumerate(line):
        size += len(ch.encode("utf-8"))
        if size > max_bytes:
            # do not cut a link in two: back up to the space or start before it
            link = line.rfind("http", 0, index)
            if link > 0 and " " not in line[link:index]:
                return link
            return max(index, 1)
    return len(line)
