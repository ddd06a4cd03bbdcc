"""Policy, programme and measure questions, and the two lists: the policy list and the ten measures."""
from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.answer import KnowledgeAction, mentioned_topics, more_buttons, topic_ref, unknown_asked, unknown_line
from actions.common import answered, button, latest_text
from actions.knowledge import kb
from policy_kb import KnowledgeBase, Topic, schema

__all__ = ["ActionAnswerPolicy", "ActionListMeasures", "mentioned_topics", "send_policy_list"]


class ActionAnswerPolicy(KnowledgeAction):
    """Answers the policy or measure asked about, briefly, with “more” buttons; with none named,
    gives the policy list."""

    def name(self) -> str:
        return "action_answer_policy"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        knowledge = kb()
        topics = mentioned_topics(knowledge, tracker)
        if not topics:
            return send_policy_list(knowledge, dispatcher, tracker)
        buttons = more_buttons(knowledge, topics[0], ["what"])
        for topic in topics[:2]:  # the “more” buttons (of the first entry) under its own card
            text = topic_text(knowledge, topic)
            if topic is topics[0]:  # “统考笔试是几号”: the card, and that the date is not known
                text += unknown_line(unknown_asked(latest_text(tracker), text))
            dispatcher.utter_message(text=text, buttons=(buttons or None) if topic is topics[0] else None)
        return answered(tracker, topic_ref(topics[0]), buttons=buttons)


def topic_text(knowledge: KnowledgeBase, topic: Topic) -> str:
    if isinstance(topic, schema.Policy):
        return render.policy_answer(knowledge, topic)
    return render.measure_answer(knowledge, topic)


def send_policy_list(knowledge: KnowledgeBase, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    buttons = [button(p.name, "ask_policy", policy=p.name) for p in knowledge.policies.values()]
    dispatcher.utter_message(text=render.policy_list(knowledge), buttons=buttons)
    return answered(tracker, "policies:list", buttons=buttons)


class ActionListMeasures(KnowledgeAction):
    """The ten measures of the notice, short, with a choice to open each."""

    def name(self) -> str:
        return "action_list_measures"

    # “就业攻坚行动都有哪些措施”: the list, not one clause retrieval likes; not the 20号文 (若干措施) and its 16 measures
    keeps = re.compile(r"^(?!.*(?:若干措施|20号|二十号|京政办|它|这个文件|那个文件|该文件)).*措施", re.DOTALL)

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        knowledge = kb()
        buttons = [button(m.name, "ask_policy", policy=m.name) for m in knowledge.measures.values()]
        dispatcher.utter_message(text=render.measure_list(knowledge), buttons=buttons)
        return answered(tracker, "measures:list", buttons=buttons)
