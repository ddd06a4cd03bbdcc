"""The registration's marker (actions/registration/action.py) as Rasa receives it: accepted by
Rasa's check of action responses, and read by the tracker store to take the name out."""
from __future__ import annotations

import json

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered, deserialise_events
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.registration.action import mark_personal, task
from nlu.server.private_store import private_events
from nlu.server.redaction import MARKER_KEY

SAID = "我叫林晓雨，手机139****4321"


def tracker(text: str) -> Tracker:
    return Tracker("web:marker", {"active_task": "action_registration"}, {"text": text}, [], False, None, {}, "action_listen")


def test_spans_of_the_message_and_the_replies_never_the_values() -> None:
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(text="好的，我们开始。")
    dispatcher.utter_message(text="记下了：姓名 林晓雨，手机号 139****4321")
    events = mark_personal(task("action_registration"), tracker(SAID), dispatcher, {"name": "林晓雨", "phone": "13987654321", "school": "北京工业大学"})
    assert events[0]["metadata"][MARKER_KEY] == {"user": [[2, 5, "姓名"]], "bot": [[1, 7, 10, "姓名"]]}
    assert "林晓雨" not in json.dumps(events, ensure_ascii=False)


def test_nothing_personal_nothing_marked() -> None:
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(text="你是哪所学校毕业的？")
    assert mark_personal(task("action_registration"), tracker("北京工业大学"), dispatcher, {"name": "林晓雨"}) == task("action_registration")


def test_rasa_accepts_the_marker_and_the_store_takes_the_name_out() -> None:
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(text="记下了：姓名 林晓雨")
    events = mark_personal([], tracker(SAID), dispatcher, {"name": "林晓雨"})  # an action returning no events of its own
    response = {"events": events, "responses": dispatcher.messages}
    jsonschema.validate(response, RemoteAction.action_response_format_spec())
    logged = [UserUttered(SAID, {"name": "inform"}), ActionExecuted("action_registration"),
              BotUttered(dispatcher.messages[0]["text"]), *deserialise_events(events)]
    stored = private_events(logged)
    assert stored is not None
    dump = json.dumps([event.as_dict() for event in stored], ensure_ascii=False)
    assert "林晓雨" not in dump and MARKER_KEY not in dump
    assert "我叫〔姓名〕，手机139****4321" in dump and "记下了：姓名 〔姓名〕" in dump
