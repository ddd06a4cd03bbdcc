"""Run an action against a hand-built tracker, the way rasa-sdk does, and collect what it says."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge

SLOTS = ["policy", "district", "institution_kind", "age", "grad_year", "answer_ref", "pending", "last_choices", "choice", "faq_missing"]


@dataclass
class Result:
    messages: List[Dict[str, Any]]
    events: List[Dict[str, Any]]
    slots_before: Dict[str, Any]

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.messages)

    @property
    def buttons(self) -> List[Dict[str, str]]:
        return [b for m in self.messages for b in (m.get("buttons") or [])]

    def slot(self, name: str) -> Any:
        """The slot's value after the action: its last SlotSet, else what it was before."""
        values = [e["value"] for e in self.events if e.get("event") == "slot" and e.get("name") == name]
        return values[-1] if values else self.slots_before.get(name)


def make_tracker(
    text: str,
    intent: str,
    entities: Iterable[Tuple[str, str]] = (),
    slots: Optional[Dict[str, Any]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    ranking: Optional[List[Tuple[str, float]]] = None,
    faq_key: Optional[str] = None,
    confidence: float = 0.9,
) -> Tracker:
    message: Dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [{"entity": name, "value": value} for name, value in entities],
        "intent_ranking": [{"name": n, "confidence": c} for n, c in (ranking or [(intent, confidence)])],
    }
    if faq_key:
        message["response_selector"] = {"default": {"response": {"intent_response_key": f"faq/{faq_key}", "confidence": 0.9}}}
    all_slots = {name: None for name in SLOTS}
    all_slots.update(slots or {})
    user_event = {"event": "user", "text": text, "parse_data": message}
    return Tracker("test-user", all_slots, message, [*(events or []), user_event], False, None, {}, "action_listen")


def run(action: Action, tracker: Tracker) -> Result:
    dispatcher = CollectingDispatcher()
    before = dict(tracker.slots)
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return Result(dispatcher.messages, [dict(e) for e in events], before)


@pytest.fixture(autouse=True)
def shipped_knowledge_base() -> None:
    """Each test starts from the knowledge base in the repo."""
    knowledge.open_store(knowledge.kb_dir())
