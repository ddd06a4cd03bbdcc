"""A turn through the REST channel (nlu/server/private_rest.py) runs once: the gateway names it
(`turn_id` in the metadata), and the same turn sent again with `"once": true` — by a gateway
taking over a push whose first gateway died — is answered from the conversation when it ran, and
run only when it did not. A client that goes away mid-turn does not cut the turn short."""
from __future__ import annotations

import os
import signal
import time
import uuid
from typing import Any, Dict, List, Optional

import httpx
import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from devstack.stack import Stack
from nlu.server.private_rest import recorded_replies

WEBHOOK = "/webhooks/rest/webhook"


def post(stack: Stack, sender: str, text: str, turn: str, once: bool = False, timeout: float = 30.0) -> List[Dict[str, Any]]:
    body: Dict[str, Any] = {"sender": sender, "message": text, "metadata": {"turn_id": turn}}
    if once:
        body["once"] = True
    answer = httpx.post(stack.rasa_url + WEBHOOK, json=body, timeout=timeout)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def user_events(stack: Stack, sender: str) -> List[Dict[str, Any]]:
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker", timeout=10.0).json()
    return [e for e in tracker.get("events") or [] if e.get("event") == "user"]


def texts(messages: List[Dict[str, Any]]) -> List[Optional[str]]:
    return [m.get("text") for m in messages]


def test_recorded_replies_are_the_bot_messages_after_the_turns_user_event() -> None:
    events = [
        UserUttered("你好", metadata={"turn_id": "msg:1"}), ActionExecuted("utter_greet"), BotUttered("你好！"),
        UserUttered("见习补贴", metadata={"turn_id": "msg:2"}), ActionExecuted("action_answer"),
        BotUttered("【见习补贴】…", data={"buttons": [{"title": "我能享受吗", "payload": "/check_eligibility"}]}),
        BotUttered("还想了解："), ActionExecuted("action_listen"),
        UserUttered("2", metadata={"turn_id": "msg:3"}),
    ]
    assert recorded_replies(events, "msg:2", "wx:o1") == [
        {"recipient_id": "wx:o1", "text": "【见习补贴】…", "buttons": [{"title": "我能享受吗", "payload": "/check_eligibility"}]},
        {"recipient_id": "wx:o1", "text": "还想了解："},
    ]
    assert recorded_replies(events, "msg:3", "wx:o1") == []  # ran, said nothing (yet)
    assert recorded_replies(events, "msg:4", "wx:o1") is None  # never ran
    assert recorded_replies([UserUttered("你好")], "msg:1", "wx:o1") is None


@pytest.mark.stack
def test_a_turn_sent_again_once_is_answered_from_the_conversation_not_run_again(stack: Stack) -> None:
    sender = f"wx:o{uuid.uuid4().hex[:20]}"
    first = post(stack, sender, "见习补贴怎么申请", "msg:101")
    assert "【见习补贴·怎么申请】" in first[0]["text"]
    # the same turn again, even with another text (a number resolved against newer choices): the first answer
    again = post(stack, sender, "社保补贴是什么", "msg:101", once=True)
    assert texts(again) == texts(first)
    assert [m.get("buttons") for m in again] == [m.get("buttons") for m in first]
    assert [e["text"] for e in user_events(stack, sender)] == ["见习补贴怎么申请"]
    # a turn the conversation does not have runs, once
    new = post(stack, sender, "社保补贴是什么", "msg:102", once=True)
    assert "社保补贴" in new[0]["text"]
    assert texts(post(stack, sender, "随便说点别的", "msg:102", once=True)) == texts(new)
    events = user_events(stack, sender)
    assert [(e["text"], e["metadata"]["turn_id"]) for e in events] == [("见习补贴怎么申请", "msg:101"), ("社保补贴是什么", "msg:102")]
    # without `once` the channel does what it always did: it runs the message
    post(stack, sender, "社保补贴是什么", "msg:102")
    assert len(user_events(stack, sender)) == 3


@pytest.mark.stack
def test_a_client_that_goes_away_mid_turn_does_not_cut_the_turn_short(stack: Stack) -> None:
    sender = f"wx:o{uuid.uuid4().hex[:20]}"
    actions = stack.processes[0]
    os.kill(actions.pid, signal.SIGSTOP)  # the action server hangs: the turn waits inside Rasa
    try:
        with pytest.raises(httpx.ReadTimeout):
            post(stack, sender, "见习补贴怎么申请", "msg:201", timeout=1.0)  # the client gives up and hangs up
        time.sleep(0.5)
    finally:
        os.kill(actions.pid, signal.SIGCONT)
    deadline = time.monotonic() + 30
    while not user_events(stack, sender):
        assert time.monotonic() < deadline, "the turn was cut short with its client"
        time.sleep(0.2)
    recovered = post(stack, sender, "见习补贴怎么申请", "msg:201", once=True)
    assert recovered and "【见习补贴·怎么申请】" in recovered[0]["text"]
    assert [e["text"] for e in user_events(stack, sender)] == ["见习补贴怎么申请"]
