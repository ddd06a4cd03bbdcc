"""Policy, programme and measure questions, and the two lists: the policy list and the ten measures."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.common import answered, button, latest_entities, latest_text
from actions.knowledge import kb
from policy_kb import KnowledgeBase, Topic, schema


def mentioned_topics(knowledge: KnowledgeBase, tracker: Tracker) -> List[Topic]:
    """Topics named in the latest message, in the order the graduate wrote them; entities the NLU
    extracted but the text scan missed come last."""
    topics: Dict[str, Topic] = {}
    for topic in knowledge.topics_in(latest_text(tracker)):
        topics.setdefault(topic.id, topic)
    for value in latest_entities(tracker, "policy"):
        topic = knowledge.topic(value)
        if topic is not None:
            topics.setdefault(topic.id, topic)
    return list(topics.values())


def topic_ref(topic: Topic) -> str:
    return f"policy:{topic.id}" if isinstance(topic, schema.Policy) else f"measure:{topic.id}"


class ActionAnswerPolicy(Action):
    """Answers the policy or measure asked about; with none named, gives the policy list."""

    def name(self) -> str:
        return "action_answer_policy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        knowledge = kb()
        topics = mentioned_topics(knowledge, tracker)
        if not topics:
            return send_policy_list(knowledge, dispatcher, tracker)
        for topic in topics[:2]:
            send_topic(knowledge, dispatcher, topic)
        buttons = follow_up_buttons(topics[0])
        if buttons:
            dispatcher.utter_message(text="还想了解：", buttons=buttons)
        return answered(tracker, topic_ref(topics[0]), buttons=buttons)


def send_topic(knowledge: KnowledgeBase, dispatcher: CollectingDispatcher, topic: Topic) -> None:
    if isinstance(topic, schema.Policy):
        dispatcher.utter_message(text=render.policy_answer(knowledge, topic))
    else:
        dispatcher.utter_message(text=render.measure_answer(knowledge, topic))


def follow_up_buttons(topic: Topic) -> List[Dict[str, str]]:
    if isinstance(topic, schema.Policy) and topic.eligibility and topic.eligibility.rules:
        return [
            button("我能享受吗", "check_eligibility", policy=topic.name),
            button("去哪里办", "ask_institution"),
            button("其他政策", "ask_policy"),
        ]
    return [button("去哪里办", "ask_institution"), button("其他政策", "ask_policy")]


def send_policy_list(knowledge: KnowledgeBase, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    buttons = [button(p.name, "ask_policy", policy=p.name) for p in knowledge.policies.values()]
    dispatcher.utter_message(text=render.policy_list(knowledge), buttons=buttons)
    return answered(tracker, "policies:list", buttons=buttons)


class ActionListMeasures(Action):
    """The ten measures of the notice, short, with a choice to open each."""

    def name(self) -> str:
        return "action_list_measures"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        knowledge = kb()
        buttons = [button(m.name, "ask_policy", policy=m.name) for m in knowledge.measures.values()]
        dispatcher.utter_message(text=render.measure_list(knowledge), buttons=buttons)
        return answered(tracker, "measures:list", buttons=buttons)
