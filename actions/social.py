"""Greetings, thanks, goodbyes and “are you a robot”: the domain's own responses, unless the
message is in fact a short question continuing the conversation (“晚上能打吗” after the hotline,
which the NLU may take for a greeting): then that is answered. A longer message the NLU was not
sure of (“直播带岗是啥东西” taken for “are you a robot”) is a question: the knowledge base answers."""
from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import content_words, execute, follow_up, understand
from actions.common import latest_text
from actions.knowledge import kb

RESPONSES = {"greet": "utter_greet", "goodbye": "utter_goodbye", "thank": "utter_thank", "bot_challenge": "utter_iamabot"}
SOCIAL_SURE = 0.8  # below this, a message saying more than small talk does is taken for a question
SMALL_TALK = 4  # content characters small talk may have (“你是真人还是AI啊”)
FAREWELL = re.compile(r"谢|再见|拜拜|回见|bye|thank|知道了|明白了|懂了|了解了|我去|去看看|去问问|先这样", re.IGNORECASE)


class ActionSocial(Action):
    def name(self) -> str:
        return "action_social"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        plan = follow_up(kb(), tracker, latest_text(tracker))
        if plan is not None:
            return await execute(plan, dispatcher, tracker, domain)
        intent_data = (tracker.latest_message or {}).get("intent") or {}
        intent = intent_data.get("name") or "greet"
        text = latest_text(tracker)
        # however sure the NLU is, small talk names no entry of the knowledge base (“他说想先见习”,
        # “结对帮扶是谁跟我结对啊” are questions), unless it thanks or takes leave
        names_entry = bool(kb().topics_in(text)) and not FAREWELL.search(text)
        if float(intent_data.get("confidence") or 0.0) < SOCIAL_SURE or names_entry:
            if len(content_words(text)) > SMALL_TALK or names_entry:
                from actions.fallback import ActionClarify  # the knowledge base's answer, or a clarification

                return await ActionClarify().run(dispatcher, tracker, domain)
            plan = understand(kb(), tracker, self.name())  # “真的能帮我找到吗” after the help for a hardship family
            if plan is not None:
                return await execute(plan, dispatcher, tracker, domain)
        dispatcher.utter_message(response=RESPONSES.get(intent, "utter_greet"))
        return []  # the topic in play stays as it was
