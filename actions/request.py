"""What the graduate asked this turn: their own message, or the choice they picked by number.

A bare "3" after a numbered list is routed by action_route_inform, which stores the picked
button's payload in the `choice` slot; the action it hands over to reads the request from there.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z_][\w/]*)(?P<entities>\{.*\})?$", re.DOTALL)


@dataclass(frozen=True)
class Request:
    intent: Optional[str]
    text: str
    entities: Dict[str, List[str]] = field(default_factory=dict)

    def values(self, entity: str) -> List[str]:
        return self.entities.get(entity, [])


def parse_payload(payload: str) -> Optional[Request]:
    """'/ask_policy{"policy":"见习补贴"}' → Request(ask_policy, '见习补贴', {...}); text → None."""
    match = PAYLOAD.match(payload.strip())
    if not match:
        return None
    try:
        raw: Dict[str, Any] = json.loads(match["entities"]) if match["entities"] else {}
    except json.JSONDecodeError:
        return None
    entities = {name: [str(v) for v in (value if isinstance(value, list) else [value])] for name, value in raw.items()}
    text = " ".join(v for values in entities.values() for v in values)
    return Request(match["intent"], text, entities)


def current_request(tracker: Tracker) -> Request:
    choice = tracker.get_slot("choice")
    if isinstance(choice, str) and choice:
        picked = parse_payload(choice)
        if picked is not None:
            return picked
    message = tracker.latest_message or {}
    entities: Dict[str, List[str]] = {}
    for item in message.get("entities") or []:
        if item.get("entity") and item.get("value") is not None:
            entities.setdefault(item["entity"], []).append(str(item["value"]))
    intent = (message.get("intent") or {}).get("name")
    return Request(intent, message.get("text") or "", entities)
