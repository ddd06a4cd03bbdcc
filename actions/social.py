"""Greetings, thanks, goodbyes and “are you a robot”: the domain's own responses, unless the
message is in fact a short question continuing the conversation (“晚上能打吗” after the hotline,
which the NLU may take for a greeting): then that is answered."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import execute, follow_up
from actions.common import latest_text
from actions.knowledge import kb

RESPONSES = {"greet": "utter_greet", "goodbye": "utter_goodbye", "thank": "utter_thank", "bot_challenge": "utter_iamabot"}


class ActionSocial(Action):
    def name(self) -> str:
        return "action_social"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        plan = follow_up(kb(), tracker, latest_text(tracker))
        if plan is not None:
            return await execute(plan, dispatcher, tracker, domain)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or "greet"
        dispatcher.utter_message(response=RESPONSES.get(intent, "utter_greet"))
        return []  # the topic in play stays as it was
