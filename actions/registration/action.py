"""Rasa actions of the job-seeker registration (求职登记): start / resume / change a
registration, see it, delete it. The dialogue itself is flow.py; this file moves drafts and
records between the conversation and the ledger, bound to the conversation's sender id (the
channel identity), so nobody reaches another person's record through chat.

The tracker only ever holds `active_task` (which action gets the next message); the answers,
including phone and ID numbers, live encrypted in the ledger's draft until confirmed.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Awaitable, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import (CLEAR_MARGIN, DATA_ORIGIN, Plan, answer_instead, by_topic, choose_among, execute, refused, say_unit,
                            told_apart_by_words, understand)
from actions import storage
from actions.common import Button, text_button
from actions.english import english_text
from actions.knowledge import kb
from actions.registration import flow
from actions.registration.flow import Draft, Outcome, Reply, Turn
from actions.registration.parse import clean, looks_like_question
from actions.registration.steps import BY_KEY, STEPS, display, field_named
from actions.request import current_request
from actions.storage import open_ledger, run
from actions.subscriptions import ask_what_to_cancel, bare_cancel
from db.crypto import CipherError
from db.pii import SEALED_KEY, unseal
from ledger.fields import FOLLOW_UP_KINDS
from ledger.store import DuplicatePerson, Ledger
from nlu.server.redaction import MARKER_KEY, find_spans, marker
from policy_kb.text import is_english, normalize_chars
from policy_kb.units import Unit

log = logging.getLogger(__name__)
TASK_SLOT = "active_task"
KNOWLEDGE_INTENTS = {"ask_policy", "list_measures", "check_eligibility", "ask_help_routes", "ask_job_channels",
                     "ask_institution", "complain_rights", "faq", "bot_challenge", "help", "ask_notices"}
KNOWLEDGE_CONFIDENCE = 0.8
ASIDE = re.compile(r"先问一句|先问一下|先问下|问一句|问一下|问个事|插一句|插个话|顺便问|顺带问|中间问|另外问|请问|对了")
FOLLOW_UP_PROMISE = ("按通知（五（八））要求，对有就业意愿的登记毕业生，区里的就业服务机构至少提供1次职业指导、3次岗位推介、"
                     "1次技能培训和就业见习机会。")


def send(dispatcher: CollectingDispatcher, replies: List[Reply]) -> None:
    for reply in replies:
        buttons: List[Button] = [text_button(title, title) for title in reply.buttons]
        dispatcher.utter_message(text=reply.text, buttons=buttons or None)


def raw_text(tracker: Tracker, ledger: Ledger) -> str:
    """What the graduate typed: the sealed original when the channel masked personal numbers."""
    message = tracker.latest_message or {}
    sealed = (message.get("metadata") or {}).get(SEALED_KEY)
    if sealed:
        try:
            return unseal(ledger.cipher, sealed) or ""
        except CipherError:
            log.warning("sealed message text cannot be opened with the ledger keys; using the masked text")
    return message.get("text") or ""


def turn_of(tracker: Tracker, ledger: Ledger) -> Turn:
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    text = raw_text(tracker, ledger)
    # a question the assistant answers: confidently classified Chinese text (the NLU also puts
    # confident labels on markup or gibberish), or a question naming a policy or measure
    chinese = len(re.findall(r"[\u4e00-\u9fff]", text)) >= 2 or text.startswith("/")
    question = looks_like_question(text)
    knowledge = (name in KNOWLEDGE_INTENTS and chinese and (confidence >= KNOWLEDGE_CONFIDENCE or question and confidence >= 0.4)) or (
        question and bool(kb().topics_in(text)))
    # “等下 这个登记完了谁能看到我的信息”, “Wait, what's the service hotline?”: a question only retrieval
    # places (the NLU took it for the registration's own), answered aside
    knowledge = knowledge or (question and aside_unit(text) is not None)
    # “等下 先问一句 登记完了会给我推荐岗位吗”: said to be a question on the side
    knowledge = knowledge or (chinese and bool(ASIDE.search(text)) and looks_like_question(text))
    return Turn(text=text, intent=name, confidence=confidence, knowledge_question=knowledge)


ASIDE_SURE, ASIDE_SURE_ENGLISH = 0.30, 0.15


def aside_unit(text: str) -> Optional[Unit]:
    """The unit a question asked during the registration is surely about, if any."""
    knowledge = kb()
    if is_english(text):
        found = knowledge.units.search_english(text, limit=2)
        if not found or found[0].score < ASIDE_SURE_ENGLISH or (len(found) > 1 and found[0].score < 1.2 * found[1].score):
            return None
        return found[0].unit
    hits = knowledge.units.search(text, limit=2)
    if not hits or hits[0].score < ASIDE_SURE or (len(hits) > 1 and hits[0].score < 1.2 * hits[1].score):
        return None
    return hits[0].unit


ASIDE_WEAK = 0.12  # a question said to be on the side is answered by a unit this sure (else the choices)


def aside_plan(text: str) -> Optional[Plan]:
    """The best units for a question asked on the side that nothing placed surely: the first if
    clearly ahead, else the close ones to choose from."""
    ranked = by_topic(kb().units.search(kb().spelled(text), limit=8), kb())
    if not ranked or ranked[0][1] < ASIDE_WEAK:
        return None
    ranked, told_apart = told_apart_by_words(text, ranked)
    if told_apart:  # “登记完了区里会给我推荐岗位吗”: only one of the close units speaks of 登记完
        return Plan("unit", units=[ranked[0][0].unit])
    close = [hit.unit for hit, score in ranked[:3] if score * CLEAR_MARGIN >= ranked[0][1]]
    return Plan("unit", units=close[:1]) if len(close) == 1 else choose_among(text, close)


DECLINED_REF = "registration:declined"  # the answer just given declined the registration's privacy notice


def declined_just_now(tracker: Tracker, text: str) -> bool:
    """Whether the registration was declined by the message before and this one agrees after all."""
    return tracker.get_slot("answer_ref") == DECLINED_REF and flow.agrees(text)


def task(name: Optional[str]) -> List[EventType]:
    return [SlotSet(TASK_SLOT, name)]


PERSONAL_LABELS = {"name": "姓名", "phone": "手机号", "id_number": "身份证号"}


def mark_personal(events: List[EventType], tracker: Tracker, dispatcher: CollectingDispatcher, values: Dict[str, Any]) -> List[EventType]:
    """Tell Rasa's tracker store (nlu/server/private_store.py) where the latest message and this turn's
    replies hold a name, phone or ID number: character spans on a slot event, never the values."""
    known = {PERSONAL_LABELS[key]: str(value) for key, value in values.items() if key in PERSONAL_LABELS and value}
    user = find_spans((tracker.latest_message or {}).get("text") or "", known)
    bot = [(index, *span) for index, message in enumerate(dispatcher.messages) for span in find_spans(message.get("text") or "", known)]
    if not user and not bot:
        return events
    slot = next((e for e in reversed(events) if e.get("event") == "slot" and e.get("name") == TASK_SLOT), None)
    if slot is None:
        slot = SlotSet(TASK_SLOT, tracker.get_slot(TASK_SLOT))
        events = events + [slot]
    slot["metadata"] = {**(slot.get("metadata") or {}), MARKER_KEY: marker(user, bot)}
    return events


# “我想登记失业”: the legal unemployment registration, not this chat's job-seeker registration
UNEMPLOYMENT_REGISTRATION = re.compile(
    r"^(?!.*求职).*(?:失业登记|登记失业|失业证|登记成失业)"
    r"|(?:失业登记|登记失业).*(?:一样|区别|不同|一回事|有啥|有什么|吗)|求职登记.*(?:失业登记|登记失业).*(?:一样|区别|不同|一回事|吗)"
)


NO_DRAFT_TO_RESUME = re.compile(r"继续|接着|填到一半|没填完|上次")


def unemployment_registration(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """What 失业登记 is and where it is done, then the offer of this chat's 求职登记."""
    from actions.answer import say_unit  # answer.py reaches registration lazily too

    knowledge = kb()
    unit = knowledge.units.get("faq:unemployment_registration")
    assert unit is not None, "faq entry unemployment_registration is part of the knowledge base"
    return [*say_unit(knowledge, dispatcher, tracker, unit, "失业登记", [text_button("做求职登记", "求职登记")]), SlotSet(TASK_SLOT, None)]


# what asking to register (or to go on with, see or change a registration) says; without it the NLU's
# guess is read as not understood
REGISTERING = re.compile(r"登|等记|注册|报.?名|实名|建档|录|填|接着|继续|开始|求职信息|留意|推岗位|改|更新|更正|换|变了|错|调整|"
                         r"加一个|不住|sign ?up|regist|enrol|continue|update|change|wrong", re.IGNORECASE)


# what comes after registering, asked (“登记之后你们能给我啥服务”): a question, not a request to register
AFTER_REGISTERING = re.compile(r"登记(?:之后|以后|后|完)(?:了)?.{0,12}(?:啥|什么|哪些|多少|几次|怎么|会不会|能不能)")
FOUND_JOB = re.compile(r"找到(?:了)?工作了|已经(?:就业|上班|入职)|(?:现在|已经)?(?:上班了|入职了)|签了(?:工作|单位|offer)")


class ActionRegistration(Action):
    """Starts (after the privacy notice and consent), resumes or changes a registration, and
    then receives every message until it is saved or cancelled."""

    def name(self) -> str:
        return "action_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        return await guarded(dispatcher, self.turn(dispatcher, tracker, domain))

    async def turn(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        ledger = open_ledger()
        identity = tracker.sender_id
        if tracker.get_slot(TASK_SLOT) != self.name():
            text = (tracker.latest_message or {}).get("text") or ""
            # “北京现在最低工资是多少” asks no registration; “我之前做过求职登记，现在找到工作了” asks what to do now
            # “帮我改改简历” asks a favour, not a change of the registration
            if not text.startswith("/") and (not REGISTERING.search(normalize_chars(text)) or FOUND_JOB.search(normalize_chars(text))
                                             or AFTER_REGISTERING.search(normalize_chars(text)) or refused(text)):
                instead = await answer_instead(dispatcher, tracker, domain)
                if instead is not None:
                    return instead
            return await self.enter(dispatcher, tracker, ledger, identity, domain)
        stored = await run(ledger.get_draft, identity)
        draft = Draft.from_dict(stored) if stored else None
        outcome = flow.handle(draft, turn_of(tracker, ledger), retention_days(ledger))
        if outcome.status == "aside":
            await answer_aside(dispatcher, tracker, domain)
        elif outcome.status == "human":  # the draft stays; a person takes over (actions/handoff.py)
            from actions.handoff import ActionHandoff

            return await ActionHandoff().enter(dispatcher, tracker, registering=True)
        elif outcome.status == "view":
            saved = await run(ledger.find, identity)
            outcome.replies.insert(0, flow.stored_view(draft, saved.registration if saved else None, saved.ref if saved else None))
            shown = draft.values if draft is not None and draft.values else saved.registration.to_dict() if saved else {}
            return await self.keep(dispatcher, ledger, identity, outcome, tracker, shown)
        elif outcome.status == "delete":
            if stored or await run(ledger.find, identity) is not None:  # the deletion asks to confirm, then ends the registration
                return await ActionDeleteRegistration().turn(dispatcher, tracker)
            outcome.replies.insert(0, Reply("目前没有保存你的任何登记信息，不需要删除。"))
        if outcome.status == "submit" and outcome.draft is not None:
            return await self.submit(dispatcher, ledger, identity, outcome.draft)
        return await self.keep(dispatcher, ledger, identity, outcome, tracker)

    async def enter(self, dispatcher: CollectingDispatcher, tracker: Tracker, ledger: Ledger, identity: str,
                    domain: Optional[Dict[str, Any]] = None) -> List[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        stored = await run(ledger.get_draft, identity)
        existing = await run(ledger.find, identity)
        if stored and Draft.from_dict(stored).mode == "new":
            outcome = flow.resume_offer(Draft.from_dict(stored), turn_of(tracker, ledger).text)
        elif existing is not None:
            named = turn_of(tracker, ledger) if intent == "update_registration" else None
            outcome = flow.edit_saved(existing.registration, existing.ref, named)
            if intent != "update_registration":
                outcome.replies.insert(0, Reply(f"你已经登记过了（编号 {existing.ref}），再登记会更新这份记录，不会重复登记。"))
        elif intent == "update_registration" and str(tracker.get_slot("answer_ref") or "").startswith("subscribe:"):
            from actions.subscriptions import ActionSubscribe  # “改成海淀区” right after subscribing: the subscription's

            return await ActionSubscribe().answer(dispatcher, tracker, domain or {})
        elif intent == "update_registration":
            key = field_named(tracker.latest_message.get("text") or "")
            what = f"{BY_KEY[key].label}等信息" if key in BY_KEY else "信息"
            send(dispatcher, [Reply(f"你还没有登记过，没有可修改的{what}。现在登记吗？", ["求职登记"])])
            return task(None)
        elif UNEMPLOYMENT_REGISTRATION.search(tracker.latest_message.get("text") or ""):
            return unemployment_registration(dispatcher, tracker)
        else:
            outcome = flow.start(retention_days(ledger))
            if NO_DRAFT_TO_RESUME.search(tracker.latest_message.get("text") or ""):  # “填到一半能接着填吗”
                outcome.replies.insert(0, Reply(
                    "没有找到你没填完的登记（没填完的登记只在原来的对话里保存，换了微信、Telegram或网页就找不到）。"
                    "我们从头开始；以后中途停下，回复“继续登记”就能接着填。"))
        return await self.keep(dispatcher, ledger, identity, outcome, tracker)

    async def keep(self, dispatcher: CollectingDispatcher, ledger: Ledger, identity: str, outcome: Outcome,
                   tracker: Tracker, shown: Optional[Dict[str, Any]] = None) -> List[EventType]:
        if outcome.draft is not None:
            await run(ledger.put_draft, identity, outcome.draft.to_dict())
        elif outcome.status in ("cancelled", "declined"):
            await run(ledger.delete_draft, identity)
        send(dispatcher, outcome.replies)
        finished = outcome.status in ("cancelled", "declined", "paused")  # paused: the draft waits for “继续登记”
        values = shown if shown is not None else outcome.draft.values if outcome.draft is not None else {}
        declined = [SlotSet("answer_ref", DECLINED_REF)] if outcome.status == "declined" else []
        return mark_personal(task(None if finished else self.name()) + declined, tracker, dispatcher, values)

    async def agreed_after_all(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """“好吧，同意” right after declining: the consent given after all, the registration begun."""
        ledger = open_ledger()
        outcome = flow.handle(None, turn_of(tracker, ledger), retention_days(ledger))
        return await self.keep(dispatcher, ledger, tracker.sender_id, outcome, tracker)

    async def submit(self, dispatcher: CollectingDispatcher, ledger: Ledger, identity: str, draft: Draft) -> List[EventType]:
        try:
            saved = await run(ledger.save, identity, draft.registration())
        except DuplicatePerson as duplicate:
            return await self.duplicate(dispatcher, ledger, identity, draft, duplicate.field)
        await run(ledger.delete_draft, identity)
        log.info("registration %s %s", saved.ref, "created" if saved.created else "updated")
        if saved.created:
            text = (f"登记成功！你的登记编号是 {saved.ref}，请记下来。\n{FOLLOW_UP_PROMISE}\n"
                    "随时可以说“查看我的登记”来查看、修改或删除你的信息。")
        else:
            text = f"已保存修改，你的登记编号仍是 {saved.ref}。"
        send(dispatcher, [Reply(text)])
        return task(None)

    async def duplicate(self, dispatcher: CollectingDispatcher, ledger: Ledger, identity: str, draft: Draft, field: str) -> List[EventType]:
        what = "手机号" if field == "phone" else "身份证号"
        draft.values.pop(field, None)
        draft.editing, draft.phase = field, "collect"
        await run(ledger.put_draft, identity, draft.to_dict())
        send(dispatcher, [
            Reply(f"这个{what}已经由另一个账号登记过了，为保护个人信息，不能在这里查看或修改那份登记。"
                  "如果是你本人登记的，请用原来的账号查看；也可以回复“转人工”请工作人员核实。"),
            Reply(f"如果填错了，请重新输入{what}：" if field == "phone" else "请重新输入身份证号，或回复“跳过”："),
        ])
        return task(self.name())


# what asking to see one's registration says (“查看我的登记”, “我登没登记上”, “你们那边存了我哪些信息”)
VIEWING = re.compile(r"查|看|核对|确认|显示|列出|调出|回执|编号|登记号|我的登记|我登记[了的过]|登没登|登记上|提交|登记记录|已经登记|"
                     r"登记过|存了|填的|填了|状态|(?:登记|信息|记录|资料).{0,6}有效|成功|view|show|see|check|status", re.IGNORECASE)


class ActionViewRegistration(Action):
    def name(self) -> str:
        return "action_view_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        if refused(text):  # “帮我查下我前男友的手机号”: someone else's data is nobody's to see here
            dispatcher.utter_message(text=refused(text))
            return []
        # “我去登记了以后会给我提供哪些服务” asks to see nothing; “怎么会有我的电话？我没登记过啊” asks where the data came from
        if not text.startswith("/") and (not VIEWING.search(normalize_chars(text)) or DATA_ORIGIN.search(normalize_chars(text))):
            instead = await answer_instead(dispatcher, tracker, domain)
            if instead is not None:
                return instead
        return await guarded(dispatcher, self.show(dispatcher, tracker))

    async def show(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        from actions.answer import asked_detail, say_unit  # “求职登记要填哪些信息”: about the form, not one's record

        detail = asked_detail(kb(), tracker.latest_message.get("text") or "")
        if detail is not None:
            return say_unit(kb(), dispatcher, tracker, detail, detail.title)
        ledger = open_ledger()
        existing = await run(ledger.find, tracker.sender_id)
        if existing is None:
            stored = await run(ledger.get_draft, tracker.sender_id)
            if stored:
                send(dispatcher, [Reply("你有一份还没填完的登记，说“继续登记”可以接着填。", ["继续登记"])])
            else:
                send(dispatcher, [Reply("你还没有在这里做过求职登记。登记后随时回复“查看我的登记”就能看到填的信息。现在登记吗？", ["求职登记"])])
            return []
        reg = existing.registration
        lines = [f"{step.label}：{display(step, reg)}" for step in STEPS if step.applies(reg)]
        served = existing.follow_ups
        services = "、".join(f"{label}{served[code]}次" for code, label in FOLLOW_UP_KINDS.items() if served.get(code)) or "暂无记录"
        text = f"你的求职登记（编号 {existing.ref}）：\n" + "\n".join(lines) + f"\n已获得的服务：{services}"
        dispatcher.utter_message(text=text, buttons=[{"title": "修改登记", "payload": "/update_registration"},
                                                    {"title": "删除登记", "payload": "/delete_registration"}])
        return mark_personal([], tracker, dispatcher, reg.to_dict())


# a graduate on the list the education commission handed over (五（一）): what they gave in chat goes,
# the list entry stays with the district for its follow-up (五（八）)
LIST_KEPT = "你也在教育部门移交的离校未就业毕业生名单上，名单里的信息由区人社部门依规保存，用于联系你、提供就业服务。"


# what a request to erase one's registration says; without it the NLU's guess is read as not understood
ERASING = re.compile(r"删|注销|撤|清除|清空|清掉|抹掉|销毁|作废|别存|不要存|别保|不想留|不想让你们保存|不要了|取消.{0,4}登记|"
                     r"登记.{0,4}取消|不登记|delete|remove|erase", re.IGNORECASE)


class ActionDeleteRegistration(Action):
    """Asks for confirmation, then erases the personal data (anonymous counts remain)."""

    def name(self) -> str:
        return "action_delete_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        if tracker.get_slot(TASK_SLOT) != self.name() and not text.startswith("/") and not ERASING.search(normalize_chars(text)) \
                and not bare_cancel(current_request(tracker)):  # “有没有线上的招聘 我不想跑现场” asks no erasing
            instead = await answer_instead(dispatcher, tracker, domain)
            if instead is not None:
                return instead
        return await guarded(dispatcher, self.turn(dispatcher, tracker))

    async def turn(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        ledger = open_ledger()
        identity = tracker.sender_id
        if tracker.get_slot(TASK_SLOT) != self.name():
            if bare_cancel(current_request(tracker)):  # “取消吧” names nothing (the NLU may take it for this): ask what
                return await ask_what_to_cancel(dispatcher, tracker)
            existing = await run(ledger.find, identity)
            stored = await run(ledger.get_draft, identity)
            if existing is None and not stored:
                text = (tracker.latest_message or {}).get("text") or ""
                can = "可以，登记后随时说“删除我的登记”就能删除。" if looks_like_question(text) else ""  # “登记过的信息能删掉吗”
                send(dispatcher, [Reply(f"{can}你在这里没有登记信息，不需要删除。")])
                return task(None)
            what = f"你的求职登记（编号 {existing.ref}）" if existing else "你没填完的登记"
            erased = f"删除后你在对话中登记的信息会被清除；{LIST_KEPT}" if existing is not None and existing.on_list \
                else "删除后姓名、手机号、身份证号等个人信息会被清除，不能恢复。"
            send(dispatcher, [Reply(f"确定删除{what}吗？{erased}", ["确认删除", "不删了"])])
            return task(self.name())
        text = clean((tracker.latest_message or {}).get("text") or "")
        if text in ("确认删除", "确认", "确定", "删除", "删吧", "是", "是的", "对", "1", "确定删除", "删"):
            existing = await run(ledger.find, identity)
            ref = await run(ledger.delete, identity)
            await run(ledger.delete_draft, identity)
            done = f"已删除你的登记（编号 {ref}）" if ref else "已删除你没填完的登记"
            if existing is not None and existing.on_list:
                send(dispatcher, [Reply(f"{done}，你在对话中登记的信息已清除；{LIST_KEPT}需要时可以重新登记。")])
            else:
                send(dispatcher, [Reply(f"{done}，姓名、手机号、身份证号等个人信息已清除，只保留不含个人信息的统计数。需要时可以重新登记。")])
        else:
            stored = await run(ledger.get_draft, identity)
            resume = "没填完的登记也还在，说“继续登记”可以接着填。" if stored and Draft.from_dict(stored).mode == "new" else ""
            send(dispatcher, [Reply("好的，没有删除，你的信息保持不变。" + resume, ["继续登记"] if resume else [])])
        return task(None)


UNAVAILABLE = "登记服务暂时出了点问题，请稍后再发一次；已经提交的信息不会丢失。急事可以拨打12333人社服务热线。"


async def guarded(dispatcher: CollectingDispatcher, work: Awaitable[List[EventType]]) -> List[EventType]:
    """The registration's turn, or its short answer when the ledger cannot be reached or read."""
    return await storage.guarded(dispatcher, work, "registration", UNAVAILABLE)


def retention_days(ledger: Ledger) -> int:
    return ledger.settings.retention_days if ledger.settings else 730


async def answer_aside(dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> None:
    """Answer a question asked in the middle of the registration, as if asked on its own.
    Its slot events are dropped: the registration keeps the conversation's state."""
    from actions.faq import ActionAnswerFaq
    from actions.inform import answer
    from actions.request import current_request

    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    text = (tracker.latest_message or {}).get("text") or ""
    unit = aside_unit(text) if intent not in KNOWLEDGE_INTENTS or is_english(text) else None
    if unit is not None and is_english(text):
        dispatcher.utter_message(text=english_text(kb(), unit))
    elif unit is not None:  # a question only retrieval placed: its unit
        say_unit(kb(), dispatcher, tracker, unit)
    elif intent == "faq":
        await ActionAnswerFaq().run(dispatcher, tracker, domain)
    elif intent == "bot_challenge":
        dispatcher.utter_message(response="utter_iamabot")
    elif intent not in KNOWLEDGE_INTENTS:  # the NLU took a question for a command: read as not understood
        plan = understand(kb(), tracker, "action_clarify") or aside_plan(text)
        if plan is not None:
            await execute(plan, dispatcher, tracker, domain)
        else:
            from actions.fallback import ActionClarify

            await ActionClarify().answer(dispatcher, tracker, domain)
    else:
        await answer(current_request(tracker), dispatcher, tracker, domain)
