"""Low-confidence and out-of-scope turns: ask which of the top guesses was meant, or refuse
politely; after two misses in a row, offer the help routes and a person."""
from __future__ import annotations

import logging
import re
from abc import abstractmethod
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.answer import KnowledgeAction, mentioned_topics
from actions.common import NONE_OF_THESE, REPHRASE, Button, answered, button, latest_text, text_button
from actions.faq import selected_faq_key
from actions.knowledge import kb
from actions.storage import district_of, ledger_store, run
from db.crypto import CipherError
from ledger.config import LedgerConfigError
from unanswered.store import UnansweredStore, question_key

log = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE = "抱歉，这个我帮不上忙。我是就业服务助手，只能回答离校未就业毕业生的就业政策、求助途径、招聘渠道和服务机构方面的问题。"
MISSES_BEFORE_HELP = 2
GUESS_TITLES = {
    "ask_policy": "问某项政策",
    "list_measures": "看通知的十项措施",
    "check_eligibility": "问我能不能享受",
    "ask_help_routes": "找求助途径",
    "ask_job_channels": "找招聘渠道",
    "ask_institution": "查服务机构",
    "complain_rights": "投诉维权",
    "request_human": "找工作人员",
    "help": "看看你能做什么",
}


class MissedAction(KnowledgeAction):
    """A message the assistant could not answer. Thanks it took for one (“唔該晒👍”) is thanked; the
    second miss in a row offers the help routes and a person; otherwise `reply` answers, and the
    question is kept for the console's unanswered list under `reason`."""

    reason = ""

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if THANKS_IN_OTHER_WORDS.search(latest_text(tracker)):
            dispatcher.utter_message(response="utter_thank")
            return []
        if consecutive_misses(tracker) >= MISSES_BEFORE_HELP:
            await remember_unanswered(tracker, "gave_up")
            return offer_help(dispatcher, tracker)
        await remember_unanswered(tracker, self.reason)
        return self.reply(dispatcher, tracker)

    @abstractmethod
    def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        ...


class ActionClarify(MissedAction):
    """Low confidence: the likeliest meanings as buttons, or a request to say it another way."""

    reason = "unclear"

    def name(self) -> str:
        return "action_clarify"

    def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        guesses = guess_buttons(tracker)
        if not guesses:
            dispatcher.utter_message(text=REPHRASE)
            return answered(tracker, "clarify")
        dispatcher.utter_message(text=f"我不太确定你的意思，你是想下面哪一个？{NONE_OF_THESE}", buttons=guesses)
        return answered(tracker, "clarify", buttons=guesses)


# “好嘞👍”, “ok了解”, “嗯嗯知道了”: the graduate took the answer in
ACKNOWLEDGED = re.compile(r"^(?:好|好的|好嘞|好滴|好吧|嗯|嗯嗯|哦|哦哦|噢|ok|okay|收到|了解|明白|知道|懂|行|可以|没问题)+(?:了|啦|咯|哈|呀)*$")
TRAILING = re.compile(r"[^\w]+")
ACKNOWLEDGEMENT = "好的！还有想了解的随时问我。"


class ActionChitchat(KnowledgeAction):
    """Small talk. A message the NLU took for small talk that names a topic, a situation or a fact
    retrieval is sure of is answered from the knowledge base; otherwise Rasa's utter_chitchat
    follows (the rules read slot faq_missing, as for the FAQ) with the response selector's reply."""

    def name(self) -> str:
        return "action_chitchat"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if ACKNOWLEDGED.match(TRAILING.sub("", latest_text(tracker).strip().lower())):  # “好嘞👍”: not a mood to answer
            dispatcher.utter_message(text=ACKNOWLEDGEMENT)
            return [SlotSet("faq_missing", False)]
        return [SlotSet("faq_missing", True)]

    def after_other_answer(self) -> List[EventType]:
        return [SlotSet("faq_missing", False)]


class ActionHelp(KnowledgeAction):
    """The menu of what the assistant does. A message the NLU took for asking that, which in fact asks
    something the knowledge base answers (“各区要干啥”, “12333能干啥”), gets that answer instead."""

    def name(self) -> str:
        return "action_help"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_help")
        return []


# thanks the NLU does not know (Cantonese, dialect, written short), the whole message
THANKS_IN_OTHER_WORDS = re.compile(r"^\W*(?:唔[该該](?:晒|曬|哂|你)?|多[谢謝](?:晒|曬|哂|你|啦|了)?|谢谢(?:啦|了|哈|嘞|咯)?|感谢|感恩|3q|thx|tks)\W*$",
                                   re.IGNORECASE)


class ActionOutOfScope(MissedAction):
    """Out of scope: a polite refusal with what the assistant can do."""

    reason = "out_of_scope"

    def name(self) -> str:
        return "action_out_of_scope"

    def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        buttons = [button("政策清单", "ask_policy"), button("求助途径", "ask_help_routes"), button("看看你能做什么", "help")]
        dispatcher.utter_message(text=OUT_OF_SCOPE, buttons=buttons)
        return answered(tracker, "out_of_scope", buttons=buttons)


async def remember_unanswered(tracker: Tracker, reason: str) -> None:
    """Keep the question for the console's list of unanswered questions (unanswered/), with the
    asker's registered district (district staff see their district's). Never in the way of the
    answer: a database failure is logged and the graduate is answered anyway."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    if asked_before(tracker, text):  # counted once per session: repeating it does not push it up the list
        return
    intent = message.get("intent") or {}
    channel = tracker.sender_id.split(":", 1)[0] if ":" in tracker.sender_id else "rest"
    try:
        district = await run(district_of, tracker.sender_id)
        await run(ledger_store(UnansweredStore).record, channel, text, reason, intent.get("name"), intent.get("confidence"), district)
    except (SQLAlchemyError, CipherError, LedgerConfigError) as error:
        log.warning("unanswered question not recorded: %s", type(error).__name__)


def asked_before(tracker: Tracker, text: str) -> bool:
    """The graduate sent the same question earlier in this conversation session."""
    key, users = question_key(text), 0
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            return False
        if event.get("event") == "user":
            users += 1  # the first one met is the message being answered
            if users > 1 and question_key(event.get("text") or "") == key:
                return True
    return False


def consecutive_misses(tracker: Tracker) -> int:
    """How many of the latest user turns in a row the NLU could not place."""
    misses = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent not in (FALLBACK_INTENT, "out_of_scope"):
            break
        misses += 1
    return misses


def guess_buttons(tracker: Tracker) -> List[Button]:
    ranking = tracker.latest_message.get("intent_ranking") or []
    buttons: List[Button] = []
    for item in ranking:
        name = item.get("name")
        if len(buttons) == 2 or (item.get("confidence") or 0) < 0.1:
            break
        guess = guess_button(tracker, name)
        if guess and guess not in buttons:
            buttons.append(guess)
    if buttons:
        buttons.append(button("都不是", "help"))
    return buttons


def guess_button(tracker: Tracker, intent: Optional[str]) -> Optional[Button]:
    if intent == "faq":
        entry = kb().faq.get(selected_faq_key(tracker) or "")
        return text_button(entry.question, entry.question) if entry else None
    if intent not in GUESS_TITLES:
        return None
    topics = mentioned_topics(kb(), tracker)
    if intent in ("ask_policy", "check_eligibility") and topics:
        title = f"了解「{topics[0].name}」" if intent == "ask_policy" else f"我能否享受「{topics[0].name}」"
        return button(title, intent, policy=topics[0].name)
    return button(GUESS_TITLES[intent], intent)


def offer_help(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    knowledge = kb()
    hotline = knowledge.routes["hotline_12333"]
    platform = knowledge.routes["bj_graduate_platform"]
    text = (
        "抱歉，我还是没能理解。你可以：\n"
        f"1. 拨打{hotline.name} {hotline.phone}，请工作人员解答；\n"
        f"2. 登录{platform.name}：{platform.url}\n"
        "3. 回复“转人工”，请在线工作人员帮你；或者看看下面的菜单。"
    )
    buttons = [button("转人工", "request_human"), button("政策清单", "ask_policy"), button("求助途径", "ask_help_routes")]
    dispatcher.utter_message(text=text, buttons=buttons)
    return answered(tracker, "help_offer", buttons=buttons)
