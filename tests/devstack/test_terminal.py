"""The terminal chat of `make run`: buttons shown as numbered choices, a number picks one."""
from __future__ import annotations

import io

import pytest

from devstack.rasa_client import RasaRestClient
from devstack.stack import Stack
from devstack.terminal import chat, pick, render


def test_render_numbers_buttons_and_pick_maps_a_number_to_its_payload() -> None:
    text, payloads = render([{"text": "选一个", "buttons": [{"title": "甲", "payload": "/a"}, {"title": "乙", "payload": "/b"}]}])
    assert text == "选一个\n  [1] 甲\n  [2] 乙"
    assert pick("2", payloads) == "/b" and pick("3", payloads) == "3" and pick("你好", payloads) == "你好"


@pytest.mark.stack
def test_terminal_chat_against_the_running_assistant(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    client = RasaRestClient(stack.rasa_url)
    try:
        chat(client, io.StringIO("有哪些政策\n2\n"), user="terminal-test")
    finally:
        client.close()
    out = capsys.readouterr().out
    assert "[2] 就业见习" in out and "【就业见习】" in out
