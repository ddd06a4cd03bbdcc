"""The assistant's replies as WeChat text: buttons become numbered choices, links stay plain URLs
(WeChat makes them clickable), and the whole is cut into pieces of at most 2000 UTF-8 bytes (the
first goes back as the passive reply, the rest through the customer-service API)."""
from __future__ import annotations

import re
from typing import List, Sequence, Tuple

from wechatpy.replies import TextReply

from bot.gateway.replies import Reply, split_text

MAX_BYTES = 2000
CHOOSE = "回复数字选择："


def render(replies: Sequence[Reply], prefix: str = "") -> List[str]:
    """The pieces to send, in order; numbers run across all the replies' buttons, the way
    Choices.remember stores their payloads."""
    blocks = [prefix] if prefix else []
    numbered = 0
    for reply in replies:
        block, numbered = _with_choices(reply, numbered)
        blocks.append(block)
    return split_text("\n\n".join(b for b in blocks if b), MAX_BYTES)


def _with_choices(reply: Reply, numbered: int) -> Tuple[str, int]:
    text = reply.text if reply.image is None else "\n".join(t for t in (reply.text, reply.image) if t)
    titles = [button.title for button in reply.buttons]
    if not titles or lists_choices(text, titles, numbered):
        return text, numbered + len(titles)
    listing = "\n".join(f"{numbered + i}. {title}" for i, title in enumerate(titles, 1))
    if text.endswith(("：", ":")):
        head = f"{text[:-1]}（{CHOOSE[:-1]}）："
    else:
        head = f"{text}\n{CHOOSE}" if text else CHOOSE
    return f"{head}\n{listing}", numbered + len(titles)


def lists_choices(text: str, titles: Sequence[str], numbered: int = 0) -> bool:
    """True when the text already lists every choice under its number ("2. 就业见习")."""
    return all(
        re.search(rf"^\s*{numbered + i}\s*[.、．]\s*.*{re.escape(title)}", text, re.MULTILINE)
        for i, title in enumerate(titles, 1)
    )


def passive_text(account: str, openid: str, content: str) -> str:
    """The passive text reply's XML (wechatpy renders the content inside CDATA)."""
    return str(TextReply(source=account, target=openid, content=cdata_safe(content)).render())


def cdata_safe(text: str) -> str:
    """A "]]>" inside the text would end the CDATA section: split it across two sections."""
    return text.replace("]]>", "]]]]><![CDATA[>")
