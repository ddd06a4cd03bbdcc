"""Terminal chat: type a question, read the answer; buttons are shown as numbered choices and a
bare number picks one, the way WeChat users will answer."""
from __future__ import annotations

import sys
import uuid
from typing import List, Optional, TextIO

import httpx

from devstack.rasa_client import Message, RasaRestClient


def render(messages: List[Message]) -> tuple[str, List[str]]:
    """Text to print and the payloads of the choices it offers (numbered from 1)."""
    lines: List[str] = []
    payloads: List[str] = []
    for message in messages:
        if message.get("text"):
            lines.append(message["text"])
        for button in message.get("buttons") or []:
            payloads.append(button["payload"])
            lines.append(f"  [{len(payloads)}] {button['title']}")
    return "\n".join(lines) or "（没有回复）", payloads


def pick(text: str, payloads: List[str]) -> str:
    """A bare number picks the offered choice; anything else is sent as typed."""
    stripped = text.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(payloads):
        return payloads[int(stripped) - 1]
    return text


def chat(client: RasaRestClient, stdin: TextIO = sys.stdin, user: Optional[str] = None) -> None:
    user = user or uuid.uuid4().hex[:12]
    payloads: List[str] = []
    print("在下面输入问题，回车发送（比如：见习补贴怎么申请 / 海淀区档案放哪 / 菜单）。Ctrl-C 或 Ctrl-D 退出。")
    while True:
        print("你> ", end="", flush=True)
        line = stdin.readline()
        if not line:
            return
        if not line.strip():
            continue
        try:
            text, payloads = render(client.send("cli", user, pick(line.strip(), payloads)))
        except httpx.HTTPError as error:
            text = f"（助手暂时没有响应：{type(error).__name__}，稍后再试）"
        print(f"助手> {text}\n")
