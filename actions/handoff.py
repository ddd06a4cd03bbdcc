"""Handoff to a person (转人工): the graduate's case goes to the staff console's queue with the
conversation so far; until the case is closed every message goes to the case and the assistant
only acknowledges (“有人吗” always, other messages at most every few minutes) and says how to
leave; staff replies reach the graduate through the push worker (push/replies.py). The
graduate leaves with “结束人工” or a whole message like “不用了” / “算了” / “我自己看看”.

The action keeps its old name, `action_offer_human` (the rule for request_human and the trained
model name it). While a case is open the slot `active_task` holds that name, so ActiveTaskPolicy
sends every message here. When staff have closed the case, the graduate's next message clears the
slot and is answered as usual, in this same turn.
"""
from __future__ import annotations

import logging
import re
import time
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.answer import QUESTION, STRONG, Plan, answer_instead, asked_part, execute, say_unit
from actions.common import answered, button, text_button
from actions.knowledge import kb
from actions.routes import human_routes_text
from actions.storage import district_of, ledger_store, run
from db.crypto import CipherError
from db.engine import now
from handoff.store import IDLE_DAYS, HandoffStore
from ledger.config import LedgerConfigError
from policy_kb.units import asked_facets

log = logging.getLogger(__name__)
NAME = "action_offer_human"
TASK_SLOT = "active_task"
END = re.compile(r"^\s*(请)?(结束|退出|取消|关闭|不用|不要|不需要)(了)?(转)?(人工|客服|人工服务|人工客服|对话|会话)(了|吧|啦)?[。！!.\s]*$"
                 r"|^\s*(不用人工了|不找人工了|不用转人工了|问题解决了|已经解决了|没事了)[。！!.\s]*$")
# natural ways to leave, as the whole message (punctuation and spaces dropped): “算了” inside a
# longer question still goes to staff
LEAVE = re.compile(
    r"^(?:好的?|嗯+|哦+|那|行|ok|好吧)?(?:算了)?(?:那)?(?:我)?"
    r"(?:不用了?|不需要了?|不要了?|没事了?|没事儿了?|算了|取消(?:吧|了)?|我?自己(?:再)?(?:看看|看吧|查查|查一下|找找|来|问|问问)|"
    r"不转了?|不用转了?|别转了?|不用人工了?|不要人工了?|不需要人工了?|不找人工了?|不用转人工了?|不转人工了?|不用找人了?|不找人了?|"
    r"(?:问题)?(?:已经)?解决了|搞定了|知道了不用了|(?:先)?(?:结束|退出)(?:人工|对话|会话)?|"
    r"我?还是(?:问你|找你|问助手|问机器人|跟你聊)(?:吧|好了)?)"  # “算了不用了，我还是问你吧”
    r"(?:吧|了|啦|哈)?(?:谢谢(?:你|您|啦|了)?|谢了|多谢|thanks|thx)?(?:吧|了|啦)?$")
# leaving in English, as the whole message (“Never mind”, “No thanks, I'm fine”)
LEAVE_ENGLISH = re.compile(r"^\W*(?:(?:ok(?:ay)?|actually|no|oh|well)\W+)*(?:never ?mind|no need|no thanks|no,? thank you|forget it|cancel(?: it)?|"
                           r"stop|i'?m (?:fine|ok|okay|good)|that'?s (?:ok|okay|fine|all)|not needed|it'?s (?:ok|okay|fine)|i'?ll (?:check|look) myself)"
                           r"(?:\W+(?:thanks|thank you|thx|i'?m (?:fine|ok|okay|good)|then))*\W*$", re.IGNORECASE)
LEFT_ENGLISH = "OK, the chat with staff is closed. Ask me anything, or say “talk to a human” when you need a person again."
# the graduate asks whether anyone is there: the message goes to the case and they are told so
NUDGE = re.compile(r"有人吗|有人在吗|在吗|在不在|人呢|有没有人|还在吗|没人回|没人理|没人管|没人回复|还没(?:人)?回|怎么还没|"
                   r"怎么没人|还不回|怎么不回|多久(?:能|才|会)?回|什么时候(?:能|才|会)?回|等了(?:好久|半天|很久|好半天)")
NUDGE_MAX = 20  # longer messages are questions for staff, acknowledged like any other
ACK_EVERY = 5 * 60  # seconds: an ordinary message into the case is acknowledged at most this often
ACK = "收到，已转给工作人员，他们会在这里回复你，请稍候。想结束人工服务，回复“结束人工”或“不用了”。"
ACK_NUDGE = "在的，你的消息已经转给工作人员了，他们看到后会在这里回复你，请稍候。想结束人工服务，回复“结束人工”或“不用了”。"
ASKS_AGAIN = {"request_human"}
ASKED_AGAIN = "已经在为你转接了，工作人员看到后会在这里回复你，请稍候。想结束人工服务，回复“结束人工”或“不用了”。"
OPENING = "好的，已为你转接人工服务"
# intents whose own action starts a task of its own: handed over with FollowupAction
TASK_INTENTS = {"register": "action_registration", "update_registration": "action_registration",
                "view_registration": "action_view_registration", "delete_registration": "action_delete_registration"}
# a quiet turn still answers something: a message with no text, which every channel skips, so the
# gateway can tell "nothing to say" from "the action server failed" (bot/gateway/assistant.py)
QUIET = {"quiet": "handoff"}
UNAVAILABLE = "转人工服务暂时出了点问题，你的消息可能没有送到工作人员那里。请稍后再试，急事可以拨打12333人社服务热线。"

def handoff_store() -> HandoffStore:
    return ledger_store(HandoffStore)


# “12333怎么转人工”, “打电话能找到人工吗”: a question about the hotline's people, not a request for ours
ABOUT_HOTLINE = re.compile(r"12333|热线|电话[^，。,.]{0,8}(?:怎么|咋|能|吗|么|多少|几)|(?:怎么|咋|能)[^，。,.]{0,4}(?:打|拨)电话")
# while a case is open the opening offered the hotline: a short follow-up about it (“电话呢”, “晚上能打吗”)
HOTLINE_FOLLOW_UP = re.compile(r"电话|号码|几点|晚上|夜里|周末|节假日|24小时|全天|打得通|能打|打不通")
HOTLINE_FOLLOW_UP_MAX = 15


# what asking for a person says (“转人工”, “有真人吗”, “找个工作人员帮我看看”, “talk to a human”)
ASKS_PERSON = re.compile(r"人工|客服|真人|活人|工作人员|转接|接线|坐席|专人|找.{0,2}人|有人|人来|跟人|和人|人聊|人说|人跟进|人对接|老师|"
                         r"human|person|agent|staff|someone|operator", re.IGNORECASE)


def asks_for_a_person(tracker: Tracker) -> bool:
    """Whether the message asks for a person, or is no question at all (a button, “我要投诉”): a
    question that asks for no one is answered, whatever the NLU took it for."""
    text = (tracker.latest_message or {}).get("text") or ""
    asked = asked_part(text) or text  # (“我是社区工作人员。…”: the story names staff, the question does not)
    return text.startswith("/") or bool(ASKS_PERSON.search(asked)) or not QUESTION.search(text)


def hotline_how(hotline: Any) -> str:
    how = hotline.how if isinstance(hotline.how, str) else ""
    return how or f"{hotline.name}：{hotline.phone}。"


def hotline_answer(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    knowledge = kb()
    unit = knowledge.units.get("route:hotline_12333")
    assert unit is not None, "the 12333 route is part of the knowledge base"
    return say_unit(knowledge, dispatcher, tracker, unit, unit.title, [text_button("在这里转人工", "转人工")])


def opening_text(registering: bool) -> str:
    hotline = kb().routes["hotline_12333"]
    lines = [
        f"{OPENING}，工作人员会在这里回复你。其间我先不自动回答，可以先把情况说一下（所在区、毕业年份、想问的事）。",
        "想结束人工、继续问我，回复“不用了”。着急可以打电话：" + hotline_how(hotline),
    ]
    if registering:
        lines.insert(1, "你刚才填的求职登记已经保存，之后回复“继续登记”可以接着填。")
    return "\n".join(lines)


def transcript(tracker: Tracker) -> List[Tuple[str, str]]:
    """The conversation so far (user and bot texts; user texts as the channel stored them, with
    phone and ID numbers masked), the request for a person included."""
    said: List[Tuple[str, str]] = []
    for event in tracker.events:
        kind, text = event.get("event"), event.get("text")
        if not isinstance(text, str) or not text.strip() or text.startswith("/"):
            continue
        if kind == "user":
            said.append(("graduate", text))
        elif kind == "bot":
            said.append(("assistant", text))
    return said


class ActionHandoff(Action):
    def name(self) -> str:
        return NAME

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        try:
            if tracker.get_slot(TASK_SLOT) != NAME and ABOUT_HOTLINE.search((tracker.latest_message or {}).get("text") or ""):
                return hotline_answer(dispatcher, tracker)
            if tracker.get_slot(TASK_SLOT) != NAME and not asks_for_a_person(tracker):
                # “我是社区工作人员。区人社局是怎么摸清情况的？” taken for a request: the question answered
                instead = await answer_instead(dispatcher, tracker, domain)
                if instead is not None:
                    return instead
            if tracker.get_slot(TASK_SLOT) != NAME:
                return await self.enter(dispatcher, tracker)
            return await self.during(dispatcher, tracker, domain)
        except (SQLAlchemyError, CipherError, LedgerConfigError) as error:
            log.error("handoff unavailable: %s", type(error).__name__)
            if tracker.get_slot(TASK_SLOT) == NAME:
                dispatcher.utter_message(text=UNAVAILABLE)
                return []
            return offer_routes(dispatcher, tracker)

    async def enter(self, dispatcher: CollectingDispatcher, tracker: Tracker, registering: bool = False) -> List[EventType]:
        identity = tracker.sender_id
        district = await run(district_of, identity)
        case, created = await run(handoff_store().open, identity, district, transcript(tracker))
        log.info("handoff case %d %s (%s)", case.id, "opened" if created else "already open", case.channel)
        dispatcher.utter_message(text=opening_text(registering))
        return [*answered(tracker, "human"), SlotSet(TASK_SLOT, NAME)]

    async def during(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        store = handoff_store()
        identity = tracker.sender_id
        text = (tracker.latest_message or {}).get("text") or ""
        case = await run(store.current, identity)
        if case is None:  # staff closed it (the graduate was told): back to the assistant
            if ends(text):
                dispatcher.utter_message(text="人工服务已经结束了。有问题可以直接问我，需要工作人员时再回复“转人工”。")
                return [SlotSet(TASK_SLOT, None)]
            return [SlotSet(TASK_SLOT, None), *await answer_as_usual(dispatcher, tracker, domain)]
        if ends(text):
            await run(store.close, case.id, "graduate", False)
            left = LEFT_ENGLISH if LEAVE_ENGLISH.match(text) else "好的，已结束人工服务。有问题可以继续问我，需要工作人员时再回复“转人工”。"
            dispatcher.utter_message(text=left)
            return [SlotSet(TASK_SLOT, None)]
        question = question_after_leaving(text)
        if question is not None:  # “不用人工了，问一下见习补贴多少”: leave, and answer the question
            await run(store.close, case.id, "graduate", False)
            dispatcher.utter_message(text="好的，已结束人工服务。")
            return [SlotSet(TASK_SLOT, None), *await answer_text(dispatcher, tracker, question)]
        if case.idle_since(now()).days >= IDLE_DAYS:
            await run(store.close, case.id, "expired", False)
            dispatcher.utter_message(text=f"之前的人工服务已超过{IDLE_DAYS}天没有新消息，已自动结束。需要工作人员时请再回复“转人工”。")
            return [SlotSet(TASK_SLOT, None), *await answer_as_usual(dispatcher, tracker, domain)]
        await run(store.inbound, case.id, text)
        if about_hotline(text):  # the way to a person the opening offered: answered while staff read it too
            return hotline_answer(dispatcher, tracker)
        dispatcher.utter_message(**acknowledgement(tracker, text, case.opened_at.timestamp(), time.time()))
        return []


def clauses(text: str) -> List[str]:
    return [part for part in re.split(r"[\s,，。.!！?？~～、;；:：…]+", text.lower()) if part]


THANKS_ONLY = re.compile(r"^(?:谢谢|多谢|谢了|感谢|辛苦)(?:你|您|啦|了|哈|你们|了哈)*$|^(?:thanks?|thank you|thx)$", re.IGNORECASE)


def leaves(part: str) -> bool:
    return bool(END.search(part) or LEAVE.match(part))


def ends(text: str) -> bool:
    """“结束人工”, or a whole message like “不用了谢谢” / “算了” / “我自己看看”, or one made of such
    clauses (“不用了，取消转人工”), or such a clause after a complaint that is no question (“等了好久没人
    理，算了不用人工了”)."""
    said = clauses(text)
    parts = [p for p in said if not THANKS_ONLY.match(p)] or said  # “没事了，问题已经解决了，谢谢”: the thanks leaves too
    whole = "".join(parts)
    if END.search(text) or LEAVE.match(whole) or LEAVE_ENGLISH.match(text) or (parts and all(leaves(p) for p in parts)):
        return True
    return len(parts) > 1 and leaves(parts[-1]) and not any(QUESTION.search(p) and not NUDGE.search(p) for p in parts[:-1])


# a clause leaving the person, not merely “算了”: what follows it is a question for the assistant
LEAVES_PERSON = re.compile(r"人工|客服|找人|转人")


def question_after_leaving(text: str) -> Optional[str]:
    """“算了不用人工了，问一下见习补贴多少” → “问一下见习补贴多少”; None when the message does not leave
    the person first (“算了，我还是想问一下见习补贴” goes to staff)."""
    parts = re.split(r"[\s,，。.!！;；~～…]+", text.strip())
    for i in range(1, len(parts)):
        head, rest = "".join(clauses("，".join(parts[:i]))), "，".join(p for p in parts[i:] if p)
        if head and leaves(head) and LEAVES_PERSON.search(head) and QUESTION.search(rest):
            return rest
    return None


def about_hotline(text: str) -> bool:
    return bool(ABOUT_HOTLINE.search(text)) or (len(text.strip()) <= HOTLINE_FOLLOW_UP_MAX and bool(HOTLINE_FOLLOW_UP.search(text)))


async def answer_text(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[EventType]:
    """A question that came in the same message as leaving the person (whose intent the NLU gave the
    whole message): the entry and field it names, else the unit retrieval is sure of."""
    knowledge = kb()
    topics = knowledge.topics_in(text)
    if topics:
        plan = Plan("facets", topic=topics[0], facets=asked_facets(text) or ["what"])
    else:
        hits = knowledge.units.search(text, limit=1)
        if not hits or hits[0].score < STRONG:
            dispatcher.utter_message(text="你想问什么？直接告诉我就好。")
            return []
        plan = Plan("unit", units=[hits[0].unit])
    return await execute(plan, dispatcher, tracker, {})


def acknowledgement(tracker: Tracker, text: str, opened: float, moment: float) -> Dict[str, Any]:
    """What the graduate sees after writing into the open case (opened at `opened`, epoch
    seconds): “有人吗” is always answered, any other message at most every ACK_EVERY seconds;
    otherwise nothing, as a person answers. When the graduate was last told is read from the
    conversation itself (the bot messages and their times), the case's opening at the latest."""
    if intent_of(tracker) in ASKS_AGAIN:
        return {"text": ASKED_AGAIN}
    if len(text.strip()) <= NUDGE_MAX and NUDGE.search(text):
        return {"text": ACK_NUDGE}
    if moment - max(opened, last_acknowledged(tracker)) >= ACK_EVERY:
        return {"text": ACK}
    return {"json_message": QUIET}


def last_acknowledged(tracker: Tracker) -> float:
    """When the assistant last told the graduate that their messages reach staff (0: never)."""
    for event in reversed(tracker.events):
        said = event.get("text") if event.get("event") == "bot" else None
        if isinstance(said, str) and (said.startswith(OPENING) or said in (ACK, ACK_NUDGE, ASKED_AGAIN)):
            stamp = event.get("timestamp")
            return float(stamp) if isinstance(stamp, (int, float)) else 0.0
    return 0.0


def intent_of(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


async def answer_as_usual(dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
    """This turn's message answered as if no case had been open (its events kept)."""
    from actions.fallback import ActionClarify, ActionOutOfScope
    from actions.faq import ActionAnswerFaq
    from actions.inform import answer
    from actions.request import current_request

    intent = intent_of(tracker)
    if intent in TASK_INTENTS:
        return [FollowupAction(TASK_INTENTS[intent])]
    if intent == "faq":
        return await ActionAnswerFaq().run(dispatcher, tracker, domain)
    if intent == "nlu_fallback":
        return await ActionClarify().run(dispatcher, tracker, domain)
    if intent == "out_of_scope":
        return await ActionOutOfScope().run(dispatcher, tracker, domain)
    responses = {"greet": "utter_greet", "goodbye": "utter_goodbye", "thank": "utter_thank", "bot_challenge": "utter_iamabot"}
    if intent in responses:
        dispatcher.utter_message(response=responses[intent])
        return []
    return await answer(current_request(tracker), dispatcher, tracker, domain)


def offer_routes(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """No case could be opened (the database is down): how to reach a person instead."""
    buttons = [button("查我所在区的服务机构", "ask_institution", institution_kind="公共就业服务机构")]
    dispatcher.utter_message(text="现在没能为你转接在线人工服务。" + human_routes_text(kb()), buttons=buttons)
    return answered(tracker, "human", buttons=buttons)

