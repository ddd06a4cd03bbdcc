"""The assistant's replies as Telegram messages: plain text (Telegram makes URLs clickable by
itself), long texts split, buttons as an inline keyboard under the last piece.

Telegram allows 4096 characters per message (UTF-16 code units); pieces of at most 4000 UTF-8
bytes always fit, since no character takes fewer UTF-8 bytes than UTF-16 units. Callback data
is limited to 64 bytes, so a button carries `c:<id>`, the id of its payload in the store.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.gateway.replies import Button, Reply, split_text

MAX_BYTES = 4000
CALLBACK_PREFIX = "c:"
# the keyboard left after a press: the picked button alone, pressing it again does nothing
PICKED = "picked"
CHOOSE = "请选择："

T = TypeVar("T")


@dataclass(frozen=True)
class Outgoing:
    text: str
    buttons: Tuple[Button, ...] = ()


def outgoing(replies: Sequence[Reply]) -> List[Outgoing]:
    """One Telegram message per piece of each reply; a reply's buttons go under its last piece."""
    messages: List[Outgoing] = []
    for reply in replies:
        text = f"{reply.text}\n{reply.image}".strip() if reply.image else reply.text.strip()
        pieces = split_text(text, MAX_BYTES) or [CHOOSE]
        messages.extend(Outgoing(piece) for piece in pieces[:-1])
        messages.append(Outgoing(pieces[-1], reply.buttons))
    return messages


def with_welcome(replies: Sequence[Reply], welcome: str) -> List[Reply]:
    """The replies with a welcome line in front of the first one."""
    if not replies:
        return [Reply(welcome)]
    first = replies[0]
    return [Reply(f"{welcome}\n{first.text}".strip(), first.buttons, first.image), *replies[1:]]


def keyboard(buttons: Sequence[Button], ids: Sequence[str]) -> InlineKeyboardMarkup:
    """An inline keyboard whose buttons carry `c:<id>`, short titles several to a row."""
    cells = [InlineKeyboardButton(b.title, callback_data=callback_data(i)) for b, i in zip(buttons, ids)]
    return InlineKeyboardMarkup(rows(cells, per_row([b.title for b in buttons])))


def picked(title: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"✅ {title}", callback_data=PICKED)]])


def callback_data(button_id: str) -> str:
    return f"{CALLBACK_PREFIX}{button_id}"


def button_id(data: str) -> str:
    """The id in a button's callback data, or "" when the data is not ours."""
    return data[len(CALLBACK_PREFIX):] if data.startswith(CALLBACK_PREFIX) else ""


def per_row(titles: Sequence[str]) -> int:
    longest = max((len(t) for t in titles), default=0)
    return 3 if longest <= 5 else 2 if longest <= 10 else 1


def rows(cells: Sequence[T], width: int) -> List[List[T]]:
    return [list(cells[i:i + width]) for i in range(0, len(cells), width)]
