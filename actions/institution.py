"""The institution directory: which office of which kind in the graduate's district."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.answer import KnowledgeAction
from actions.common import answered, button, latest_entities, latest_text, slot_text
from actions.knowledge import kb
from policy_kb import KnowledgeBase, schema


class ActionAnswerInstitution(KnowledgeAction):
    """With a district, that district's institution(s); without, asks for the district with buttons."""

    def name(self) -> str:
        return "action_answer_institution"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        knowledge = kb()
        kinds = wanted_kinds(knowledge, tracker)
        district = wanted_district(knowledge, tracker)
        kind_slot = SlotSet("institution_kind", kinds[0].name if len(kinds) == 1 else None)
        if district is None:
            buttons = [button(name, "inform", district=name) for name in knowledge.districts]
            what = kinds[0].name if len(kinds) == 1 else "服务机构"
            duty = f"{kinds[0].name}：{kinds[0].handles}。\n" if len(kinds) == 1 else ""
            dispatcher.utter_message(text=f"{duty}请问你在哪个区？告诉我区名（或回复序号），我查该区的{what}。", buttons=buttons)
            return [kind_slot, *answered(tracker, "institution:ask_district", pending=self.name(), buttons=buttons)]
        text = render.institution_answer(knowledge, district, kinds)
        if district_from_context(knowledge, tracker):
            text = f"（按你之前说的{district}查询，查别的区直接告诉我区名）\n{text}"
        dispatcher.utter_message(text=text)
        kind_ref = kinds[0].name if len(kinds) == 1 else "all"
        return [kind_slot, SlotSet("district", district), *answered(tracker, f"institution:{district}:{kind_ref}")]


def wanted_district(knowledge: KnowledgeBase, tracker: Tracker) -> Optional[str]:
    """The district named now, else the one named earlier in the conversation."""
    return named_district(knowledge, tracker) or knowledge.district(slot_text(tracker, "district"))


def named_district(knowledge: KnowledgeBase, tracker: Tracker) -> Optional[str]:
    for value in latest_entities(tracker, "district"):
        district = knowledge.district(value)
        if district:
            return district
    found = knowledge.district_index.find(latest_text(tracker))
    return found[0] if found else None


def district_from_context(knowledge: KnowledgeBase, tracker: Tracker) -> bool:
    return named_district(knowledge, tracker) is None


def wanted_kinds(knowledge: KnowledgeBase, tracker: Tracker) -> List[schema.InstitutionKind]:
    """The kind named now; while the directory conversation goes on, the kind named before; else all."""
    for value in latest_entities(tracker, "institution_kind"):
        kind = knowledge.kind(value)
        if kind:
            return [kind]
    found = knowledge.kind_index.find(latest_text(tracker))
    if found:
        return found[:1]
    if (slot_text(tracker, "answer_ref") or "").startswith("institution:"):
        kind = knowledge.kind(slot_text(tracker, "institution_kind"))
        if kind:
            return [kind]
    return list(knowledge.kinds.values())
