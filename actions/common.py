"""Small helpers every answering action shares: what the graduate just said, buttons, and the
slots that record what was answered (answer_ref), what is being asked (pending) and which
choices a bare number picks from (last_choices)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.request import current_request

Button = Dict[str, str]
REPHRASE = ("我没太明白，能换个说法吗？我能回答就业政策、求助途径、招聘渠道和服务机构的问题，比如“见习补贴怎么申请”“海淀区档案放哪”。"
            "回复“菜单”看看我能做什么，或拨打12333咨询。")
# said under a choice of answers: what to do when none of them is what was asked
NONE_OF_THESE = "都不是的话，我这里没有可核实的信息，可拨打12333咨询。"


def button(title: str, intent: str, **entities: str) -> Button:
    """A button whose payload sends `intent` with `entities`, e.g. /ask_policy{"policy":"见习补贴"}."""
    payload = f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")
    return {"title": title, "payload": payload}


def text_button(title: str, text: str) -> Button:
    """A button that sends plain text, parsed by the NLU like anything the graduate types."""
    return {"title": title, "payload": text}


def answered(
    tracker: Tracker, ref: str, pending: Optional[str] = None, buttons: Optional[List[Button]] = None
) -> List[EventType]:
    """The slot events that close an answer: what it answered, what it now waits for, its choices.
    Only slots that change are set, so the conversation's history stays small."""
    choices = [b["payload"] for b in buttons] if buttons else None
    wanted = {"answer_ref": ref, "pending": pending, "last_choices": choices, "choice": None}
    return [SlotSet(name, value) for name, value in wanted.items() if tracker.get_slot(name) != value]


def latest_text(tracker: Tracker) -> str:
    return current_request(tracker).text


def latest_entities(tracker: Tracker, entity: str) -> List[str]:
    """Values of `entity` in this turn's request, as the NLU (or the picked button) gave them."""
    return current_request(tracker).values(entity)


def slot_text(tracker: Tracker, name: str) -> Optional[str]:
    value: Any = tracker.get_slot(name)
    if isinstance(value, list):
        value = value[-1] if value else None
    return str(value) if value not in (None, "") else None
