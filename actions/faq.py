"""FAQ answers: the ResponseSelector picks the entry, the knowledge base gives today's text."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.answer import KnowledgeAction
from actions.common import answered
from actions.request import current_request
from actions.knowledge import kb


def selected_faq_key(tracker: Tracker) -> Optional[str]:
    """The FAQ picked by number from a clarification, else the response selector's choice."""
    picked = current_request(tracker).values("faq_key")
    if picked:
        return picked[0]
    selector = tracker.latest_message.get("response_selector") or {}
    response = (selector.get("faq") or selector.get("default") or {}).get("response") or {}
    key = response.get("intent_response_key") or ""
    prefix, _, name = key.partition("/")
    return name if prefix == "faq" and name else None


class ActionAnswerFaq(KnowledgeAction):
    def name(self) -> str:
        return "action_answer_faq"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        knowledge = kb()
        key = selected_faq_key(tracker)
        entry = knowledge.faq.get(key or "")
        if entry is None:  # removed from the knowledge base since training: utter_faq follows
            return [SlotSet("faq_missing", True), *answered(tracker, f"faq:{key}")]
        dispatcher.utter_message(text=f"{entry.answer}\n{render.sources_line(knowledge, entry.sources)}")
        return [SlotSet("faq_missing", False), *answered(tracker, f"faq:{entry.key}")]

    def after_other_answer(self) -> List[EventType]:
        return [SlotSet("faq_missing", False)]  # the FAQ rule's answered branch
