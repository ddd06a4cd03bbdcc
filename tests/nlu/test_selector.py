"""nlu/selector.py: the response selector runs for the messages whose intents give a FAQ or small
talk a chance, and its pick is there for them (answered from the knowledge base, with a source);
other messages are parsed without it."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Dict, List

import pytest
from rasa.shared.nlu.training_data.message import Message

from devstack.stack import Stack
from nlu.selector import SelectiveResponseSelector
from tests.conftest import Conversation

SELECTOR = SimpleNamespace(all_retrieval_intents=["faq", "chitchat"])


def message(top: str, ranking: List[Dict[str, Any]]) -> Message:
    return Message(data={"intent": {"name": top, "confidence": ranking[0]["confidence"]}, "intent_ranking": ranking})


@pytest.mark.parametrize("top, ranking, needed", [
    ("faq", [{"name": "faq", "confidence": 0.9}], True),
    ("chitchat", [{"name": "chitchat", "confidence": 0.5}, {"name": "greet", "confidence": 0.4}], True),
    # unsure: the clarification offers the two best guesses, a FAQ entry among them
    ("nlu_fallback", [{"name": "ask_policy", "confidence": 0.4}, {"name": "faq", "confidence": 0.12}], True),
    ("ask_policy", [{"name": "ask_policy", "confidence": 0.9}, {"name": "faq", "confidence": 0.05}], False),
    ("inform", [{"name": "inform", "confidence": 0.99}], False),
])
def test_needed_when_a_retrieval_intent_has_a_chance(top: str, ranking: List[Dict[str, Any]], needed: bool) -> None:
    assert SelectiveResponseSelector.may_need(SELECTOR, message(top, ranking)) is needed  # type: ignore[arg-type]


def test_a_faq_question_gets_the_selectors_pick_and_other_messages_only_when_a_faq_has_a_chance(stack: Stack) -> None:
    talk = Conversation(stack, "selector-1")
    try:
        faq = talk.http.post("/model/parse", json={"text": "这个攻坚行动到几月结束"}).json()
        others = [talk.http.post("/model/parse", json={"text": text}).json()
                  for text in ("我要求职登记", "订阅招聘会通知", "社保补贴怎么申请", "海淀区的就业服务机构在哪", "我叫王芳")]
        reply = talk.text("这个攻坚行动到几月结束")
    finally:
        talk.http.close()
    assert faq["intent"]["name"] == "faq"
    assert faq["response_selector"]["default"]["response"]["intent_response_key"] == "faq/period"
    assert "来源" in reply
    for parsed in others:
        chance = any(i["name"] in ("faq", "chitchat") and i["confidence"] >= 0.1 for i in parsed["intent_ranking"])
        assert ("response_selector" in parsed) is chance, parsed["text"]
    assert sum("response_selector" not in parsed for parsed in others) >= 3
