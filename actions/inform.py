"""Bare answers — “海淀”, “3”, “22岁” — go to the question the assistant asked, or to the choice
the number picks, or, with nothing pending, to what the answer names.

The answering action is run right here (not through FollowupAction), so the dialogue policy sees
one action per turn and the rules stay one line per intent.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Type

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import QUESTION, content_words, execute, follow_up
from actions.common import REPHRASE, answered, latest_text, slot_text
from actions.eligibility import ActionCheckEligibility
from actions.facts import parse_age, parse_option
from actions.fallback import ActionClarify
from actions.faq import ActionAnswerFaq
from actions.handoff import ActionHandoff
from actions.institution import ActionAnswerInstitution
from actions.knowledge import kb
from actions.policy import ActionAnswerPolicy, ActionListMeasures
from actions.request import Request, current_request, parse_payload
from actions.subscriptions import ActionAnswerNotices, ActionListSubscriptions, ActionSubscribe, ActionUnsubscribe
from actions.routes import ActionAnswerHelpRoutes, ActionAnswerJobChannels, ActionAnswerRights

ACTIONS: Dict[str, Type[Action]] = {
    "ask_policy": ActionAnswerPolicy,
    "list_measures": ActionListMeasures,
    "check_eligibility": ActionCheckEligibility,
    "ask_institution": ActionAnswerInstitution,
    "ask_help_routes": ActionAnswerHelpRoutes,
    "ask_job_channels": ActionAnswerJobChannels,
    "complain_rights": ActionAnswerRights,
    "request_human": ActionHandoff,
    "faq_choice": ActionAnswerFaq,
    "subscribe": ActionSubscribe,
    "unsubscribe": ActionUnsubscribe,
    "list_subscriptions": ActionListSubscriptions,
    "ask_notices": ActionAnswerNotices,
}
BY_NAME: Dict[str, Type[Action]] = {cls().name(): cls for cls in ACTIONS.values()}
RESPONSES = {"help": "utter_help", "greet": "utter_greet"}
QUESTION_LENGTH = 4  # content characters beyond which a message is a question, not a bare answer (“2021届”)


class ActionRouteInform(Action):
    def name(self) -> str:
        return "action_route_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        payload = picked_choice(tracker)
        choice = as_choice(payload) if payload is not None else None
        if choice is not None:
            tracker.slots["choice"] = choice  # the action answering it reads its request from here
        elif not slot_text(tracker, "pending"):
            plan = follow_up(kb(), tracker, latest_text(tracker))
            if plan is not None:  # “20年呢” after “19年招了多少人”: the year asked about, not the asker's
                return await execute(plan, dispatcher, tracker, domain)
        return await answer(current_request(tracker), dispatcher, tracker, domain)


async def answer(request: Request, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
    if request.intent in RESPONSES:
        dispatcher.utter_message(response=RESPONSES[request.intent])
        return answered(tracker, request.intent or "")
    action = target_action(request, tracker)
    content = content_words(request.text)
    if action is None and not slot_text(tracker, "pending") and (len(content) > QUESTION_LENGTH or (QUESTION.search(request.text) and len(content) >= 2)):
        action = ActionClarify  # “12333能投诉吗” taken for a bare answer: a question for the knowledge base
    if action is None:
        dispatcher.utter_message(text=REPHRASE)
        return answered(tracker, "rephrase", pending=slot_text(tracker, "pending"))
    return await action().run(dispatcher, tracker, domain)


def target_action(request: Request, tracker: Tracker) -> Optional[Type[Action]]:
    """A picked button's own intent; else the question pending; else what the answer names."""
    if request.intent in ACTIONS:
        return ACTIONS[request.intent or ""]
    pending = BY_NAME.get(slot_text(tracker, "pending") or "")
    if pending is not None:
        return pending
    if request.values("district") or request.values("institution_kind") or kb().district_index.find(request.text):
        return ActionAnswerInstitution
    if parse_age(request.values("age")) is not None or request.values("grad_year"):  # not “12333” as an age
        return ActionCheckEligibility
    if request.values("policy") or kb().topics_in(request.text):
        return ActionAnswerPolicy
    return None


def picked_choice(tracker: Tracker) -> Optional[str]:
    """The payload of the numbered choice the graduate typed, if the number fits the last list."""
    number = parse_option(latest_text(tracker))
    choices = tracker.get_slot("last_choices") or []
    if number is None or not 1 <= number <= len(choices):
        return None
    return str(choices[number - 1])


def as_choice(payload: str) -> Optional[str]:
    """A payload as the `choice` slot holds it; a plain-text FAQ question becomes a FAQ choice."""
    if parse_payload(payload) is not None:
        return payload
    for entry in kb().faq.values():
        if entry.question == payload:
            return f'/faq_choice{{"faq_key":"{entry.key}"}}'
    return None
