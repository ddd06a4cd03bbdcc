"""Subscriptions to the bureau's notices (招聘岗位, 招聘会, 见习岗位, 政策更新, 服务公告) and questions
about the notices published now.

A subscription belongs to the conversation's sender id (the channel identity, e.g. `tg:123`,
`wx:openid`): nobody sees or changes another identity's subscriptions through chat. Everything is
read from and written to the bureau's database (notices/store.py on the ledger's engine), off the
event loop; when the database fails the graduate gets a short "try again later" answer.

What the graduate asked for is read from this turn only: the `notice_kind` and `district`
entities, and the text itself through this module's own alias table and the knowledge base's
district aliases. The alias table also covers the values the knowledge base's global entity
synonyms may have turned a kind into (招聘会 → 专项招聘, 见习岗位 → 就业见习, 服务公告 → 公共就业服务公开).
"""
from __future__ import annotations

import json
import logging
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, Awaitable, Dict, List, Optional, Sequence, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import storage
from actions.answer import KnowledgeAction, answer_instead
from actions.common import Button, answered, latest_text
from actions.knowledge import kb
from actions.request import Request, current_request, parse_payload
from actions.storage import open_ledger, run
from notices.model import KINDS, Notice, Subscription
from notices.store import NoticeStore
from policy_kb.aliases import AliasIndex
from policy_kb.text import normalize_chars

log = logging.getLogger(__name__)

BEIJING = timezone(timedelta(hours=8))
CITY_WIDE = "全市"
MAX_NOTICES = 5
BODY_PREVIEW = 60
WEEKDAYS = "一二三四五六日"

# kind code → the names graduates use (the first one is how answers call it: notices.model.KINDS)
KIND_NAMES: Dict[str, List[str]] = {
    "job": [KINDS["job"], "招聘信息", "岗位信息", "岗位", "职位", "工作机会"],
    "fair": [KINDS["fair"], "双选会", "招聘活动", "专场招聘", "专项招聘", "招聘大会", "宣讲会", "供需见面会", "直播带岗"],
    "traineeship": [KINDS["traineeship"], "见习机会", "见习", "就业见习", "见习单位", "实习岗位", "实习机会", "实习"],
    "policy": [KINDS["policy"], "新政策", "政策变化", "政策变动", "政策调整", "政策消息", "政策"],
    "announcement": [KINDS["announcement"], "公告", "通知", "服务通知", "通知公告", "公共就业服务公开"],
}
# words that mean job postings only when no kind is named (“最近有单位招人吗” but “见习岗位招人吗”)
JOB_WORDS = ["招聘", "招人", "招工"]
_KIND_INDEX: AliasIndex[str] = AliasIndex()
for _code, _names in KIND_NAMES.items():
    _KIND_INDEX.add(_code, _names, _code)
_JOB_WORD_INDEX: AliasIndex[str] = AliasIndex()
_JOB_WORD_INDEX.add("job", JOB_WORDS, "job")

# 通知 as a verb (有岗位就通知我) or as "messages" in general (别给我发通知了) names no kind
GENERIC_NOTIFY = re.compile(r"通知(一下|一声|下|我|俺|咱|你|他|她|给|到)|(发|推|推送|收到|收|接|接收|别|任何)通知")
NAMED_ANNOUNCEMENT = re.compile(r"公告|服务通知|公共就业服务公开")
EXCLUSIVE = re.compile(r"(只|仅|就只|光)(要|订|想要|想订|想收|收|需要|留|保留|关注|看)|(别的|其他|其它|其余)(的)?(都|全|就)?(不要|不用|退|取消|别|删)")
CONDITIONAL = re.compile(r"只要(一)?有|只要.{0,15}?就(会)?(通知|告诉|推|发|提醒|给|跟|叫|喊|说)")
ALL_CITY = re.compile(r"全市|全北京|整个北京|所有(的)?区|全部(的)?区|各(个)?区|哪个区都|哪都行|区域不限|不限")
ALL_KINDS = re.compile(r"全部|所有|全都|都要|都订|全订|每一类|每种|各类")
ADD_AREAS = re.compile(r"也|加上|再加|增加|添加|加一个|还有|再(?:订|订阅|关注|来|要)|多订")  # “再订阅一个朝阳区的”
ALSO = re.compile(r"呢[？?。!！\s]*$")  # “那海淀的呢” after subscribing: that district as well

# “取消” alone names nothing: asked what to cancel instead of unsubscribing everything
BARE_CANCEL = re.compile(r"^(?:那|那就|嗯+|好|还是)?(?:我要|我想|我想要|帮我|请|给我)?取消(?:掉|一下|下)?(?:吧|了|啦|啊|呗)?$")

PUSH_CHANNELS = ("tg", "wx")  # sender-id prefixes the push worker delivers to
UNAVAILABLE = "订阅和通知服务暂时出了点问题，请稍后再试。急事可以拨打12333人社服务热线。"


# ---- what the graduate asked for

def from_button(request: Request) -> bool:
    """A button's payload (/subscribe{"notice_kind": "fair"}): only its entities count."""
    return request.text.startswith("/")


def kind_of(value: str) -> Optional[str]:
    """'fair' / '招聘会' / '招聘會' / '专项招聘' → 'fair'; None when it names no kind."""
    value = value.strip()
    if value in KINDS:
        return value
    return _KIND_INDEX.get(value)


def kinds_in(text: str) -> List[str]:
    """Kinds the text names, in the order of KINDS. A bare 通知 next to another kind
    (“招聘会的通知别发了”) means messages in general, not 服务公告."""
    text = GENERIC_NOTIFY.sub("|", normalize_chars(text))
    found = set(_KIND_INDEX.find(text)) or set(_JOB_WORD_INDEX.find(text))
    if "announcement" in found and len(found) > 1 and not NAMED_ANNOUNCEMENT.search(text):
        found.discard("announcement")
    return [code for code in KINDS if code in found]


def requested_kinds(request: Request) -> List[str]:
    from_entities = {kind for kind in (kind_of(v) for v in request.values("notice_kind")) if kind}
    if from_button(request):
        return [code for code in KINDS if code in from_entities]
    named = set(kinds_in(request.text))
    if "announcement" in from_entities and "announcement" not in named:
        from_entities.discard("announcement")  # the model took 通知 in "有岗位就通知我" for a kind
    return [code for code in KINDS if code in named | from_entities]


def requested_districts(request: Request) -> List[str]:
    """Canonical district names, in the order named; empty when none (or 全市) is named."""
    knowledge = kb()
    names = [knowledge.district(v) for v in request.values("district")]
    if not from_button(request):
        names += knowledge.district_index.find(request.text)
    return list(dict.fromkeys(name for name in names if name))


def wants_city_wide(request: Request) -> bool:
    return not from_button(request) and bool(ALL_CITY.search(normalize_chars(request.text)))


def wants_every_kind(request: Request) -> bool:
    return not from_button(request) and bool(ALL_KINDS.search(ALL_CITY.sub("|", normalize_chars(request.text))))


def bare_cancel(request: Request) -> bool:
    """“取消” / “取消吧” / “我要取消”: typed, naming neither subscriptions nor anything else."""
    text = re.sub(r"[\s,，。.!！?？~～、;；:：…]+", "", normalize_chars(request.text))
    return not from_button(request) and bool(BARE_CANCEL.match(text))


def wants_only(request: Request) -> bool:
    """“只要见习岗位” narrows the subscriptions to what is named; “只要有见习岗位就通知我” does not."""
    text = normalize_chars(request.text)
    return not from_button(request) and bool(EXCLUSIVE.search(text)) and not CONDITIONAL.search(text)


# ---- wording

def areas(districts: Sequence[str]) -> str:
    return "、".join(districts) if districts else CITY_WIDE


def kind_list(kinds: Sequence[str]) -> str:
    return "、".join(KINDS[k] for k in kinds)


def day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日（周{WEEKDAYS[value.weekday()]}）"


def payload(intent: str, kinds: Sequence[str] = (), districts: Sequence[str] = ()) -> str:
    entities: Dict[str, Any] = {}
    if kinds:
        entities["notice_kind"] = kinds[0] if len(kinds) == 1 else list(kinds)
    if districts:
        entities["district"] = districts[0] if len(districts) == 1 else list(districts)
    return f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")


def action_button(title: str, intent: str, kinds: Sequence[str] = (), districts: Sequence[str] = ()) -> Button:
    return {"title": title, "payload": payload(intent, kinds, districts)}


def subscription_lines(subs: Sequence[Subscription]) -> str:
    return "\n".join(f"{i}. {KINDS.get(s.kind, s.kind)}（{areas(s.districts)}）" for i, s in enumerate(subs, 1))


def delivery_note(identity: str) -> str:
    """Where new notices arrive: only the channels the push worker sends on (push/worker.py)."""
    if identity.split(":", 1)[0] in PUSH_CHANNELS:
        return "有新发布的信息会在这里推送给你。"
    return "这个对话渠道不能主动推送消息，要收到推送请在微信公众号或Telegram里订阅；在这里可以随时问“最近有什么招聘会”。"


def how_to_change(kind: str) -> str:
    name = KINDS[kind]
    return f"改区域直接说“订阅朝阳区的{name}”，不想收了说“退订{name}”。"


def numbered(buttons: Optional[List[Button]]) -> Optional[List[Button]]:
    """The buttons a bare number may pick (the `last_choices` slot), only when action_route_inform
    can run every button's intent: otherwise “1” after these buttons would be routed by the
    button's entities alone (a district would get the institution directory)."""
    from actions.inform import ACTIONS  # here, not at the top: inform may come to import this module

    if not buttons:
        return None
    intents = [parse_payload(b["payload"]) for b in buttons]
    return buttons if all(i is not None and i.intent in ACTIONS for i in intents) else None


# ---- database

def notice_store() -> NoticeStore:
    return NoticeStore(open_ledger().engine)


def beijing_today() -> date:
    return datetime.now(BEIJING).date()


async def guarded(dispatcher: CollectingDispatcher, work: Awaitable[List[EventType]]) -> List[EventType]:
    """The subscription's turn, or its short answer when the database cannot be reached."""
    return await storage.guarded(dispatcher, work, "subscriptions", UNAVAILABLE)


# ---- actions

# what only a subscription question says: without it, “你们多久给我推一次岗位” is a service question
SUBSCRIPTION_WORDS = re.compile(r"订阅|退订|推送|通知我|提醒我|发给我|取消|不要再|别再|关注|全退|都退|退了|退掉")
# what asking to be sent notices says, beyond the subscription words
SUBSCRIBING = re.compile(SUBSCRIPTION_WORDS.pattern + r"|告诉我|说一声|提醒|第一时间|有新的|有了|发我|推给我|给我发|通知一下|只要|加上|"
                         r"改成|改为|换成|也要|还要|不要|别发|订|定阅|叫我|收到|想收|只留|推我|加个|再加|"
                         r"notify|subscribe|send me|let me know|alert|push|keep me (?:posted|updated)", re.IGNORECASE)
NOTICE_WORDS = re.compile(r"最近|近期|现在|目前|这周|本周|下周|明天|有没有新|发布|哪天|几号")


class ActionSubscribe(KnowledgeAction):
    """Subscribes the sender to one or more kinds, for the districts named (none: 全市).
    A kind already subscribed keeps its districts unless districts (or 全市) are named;
    “也/加上” adds the named districts; “只要…” unsubscribes every other kind."""

    keeps = SUBSCRIPTION_WORDS

    def name(self) -> str:
        return "action_subscribe"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        text = latest_text(tracker)
        if subscribed_in_play(tracker) and requested_districts(current_request(tracker)) and (
                ADD_AREAS.search(text) or SUBSCRIBING.search(normalize_chars(text))):
            return await self.answer(dispatcher, tracker, domain)  # “再加个海淀的”, “只要朝阳区的” right after subscribing
        if text.startswith("/") or SUBSCRIBING.search(normalize_chars(text)) or GENERIC_NOTIFY.search(normalize_chars(text)):
            return await super().run(dispatcher, tracker, domain)
        # “见习岗位是谁负责募集的” names a kind of notice but asks nothing to be sent: an answer, or the notices
        instead = await answer_instead(dispatcher, tracker, domain)
        return instead if instead is not None else await ActionAnswerNotices().answer(dispatcher, tracker, domain)

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        return await guarded(dispatcher, self.subscribe(dispatcher, tracker))

    async def subscribe(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        request = current_request(tracker)
        kinds = requested_kinds(request) or (list(KINDS) if wants_every_kind(request) else [])
        districts = requested_districts(request)
        if not kinds and districts:  # “那海淀的呢”, “改成海淀区” right after subscribing: the kinds just subscribed
            kinds = subscribed_in_play(tracker)
        if not kinds:  # “那帮我订阅朝阳的” after questions about job fairs: job fairs
            kinds = kinds_talked_about(tracker)
        if not kinds:
            return self.ask_kind(dispatcher, tracker, districts)
        store = notice_store()
        identity = tracker.sender_id
        before = {s.kind: s for s in await run(store.subscriptions_of, identity)}
        city_wide = wants_city_wide(request) and not districts
        narrowing = wants_only(request)
        # “只要见习岗位” right after “订阅海淀区的招聘会”: the districts chosen go with the kind kept
        inherited = [] if districts or city_wide or not narrowing else \
            list(dict.fromkeys(d for k, s in before.items() if k not in kinds for d in s.districts))
        lines = []
        for kind in kinds:
            old = before.get(kind)
            chosen = districts if old is not None else districts or inherited
            if old is not None and not districts and not city_wide:
                chosen = old.districts  # nothing said about districts: keep them
            elif old is not None and districts and old.districts and not from_button(request) and (
                    ADD_AREAS.search(request.text) or ALSO.search(request.text)):
                chosen = list(dict.fromkeys([*old.districts, *districts]))
            await run(store.subscribe, Subscription(identity, kind, list(chosen)))
            if old is None:
                lines.append(f"已订阅：{KINDS[kind]}（{areas(chosen)}）")
            elif old.districts != list(chosen):
                lines.append(f"已更新：{KINDS[kind]}，区域从{areas(old.districts)}改为{areas(chosen)}")
            else:
                lines.append(f"{KINDS[kind]}（{areas(chosen)}）之前已经订阅了，保持不变")
        dropped = [k for k in before if k not in kinds] if narrowing else []
        for kind in dropped:
            await run(store.unsubscribe, identity, kind)
        text = "\n".join(lines) + "\n" + delivery_note(identity)
        if dropped:
            text += f"\n按你说的只保留{kind_list(kinds)}，已退订：{kind_list(dropped)}。"
        text += "\n" + how_to_change(kinds[0])
        buttons = [action_button(f"现在有哪些{KINDS[kinds[0]]}", "ask_notices", kinds[:1], districts),
                   action_button("我的订阅", "list_subscriptions")]
        dispatcher.utter_message(text=text, buttons=buttons)
        return answered(tracker, "subscribe:" + ",".join(kinds), buttons=numbered(buttons))

    def ask_kind(self, dispatcher: CollectingDispatcher, tracker: Tracker, districts: List[str]) -> List[EventType]:
        where = f"（区域：{areas(districts)}）" if districts else ""
        text = (f"想订阅哪一类信息{where}？点下面的按钮选一类，也可以直接说，比如“订阅海淀区的招聘会和见习岗位”。"
                "不说区域就是全市的都推送。")
        buttons = [action_button(name, "subscribe", [code], districts) for code, name in KINDS.items()]
        buttons.append(action_button("全部订阅", "subscribe", list(KINDS), districts))
        dispatcher.utter_message(text=text, buttons=buttons)
        return answered(tracker, "subscribe:ask_kind", buttons=numbered(buttons))


class ActionUnsubscribe(KnowledgeAction):
    """Unsubscribes the sender from the kinds named, or from everything when no kind is named;
    says what remains. Unsubscribing from everything also stops any other push to this identity
    (job recommendations after registration) until the graduate subscribes again. A bare “取消”
    (outside any task: a task gets its own “取消”) asks what to cancel instead."""

    keeps = SUBSCRIPTION_WORDS

    def name(self) -> str:
        return "action_unsubscribe"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        return await guarded(dispatcher, self.unsubscribe(dispatcher, tracker))

    async def unsubscribe(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        request = current_request(tracker)
        kinds = requested_kinds(request)
        store = notice_store()
        identity = tracker.sender_id
        if not kinds and bare_cancel(request):
            return await ask_what_to_cancel(dispatcher, tracker)
        districts = requested_districts(request) if not from_button(request) else []
        if districts:  # “把朝阳的退了”: that district out of the subscriptions, the rest kept
            return await self.districts_out(dispatcher, tracker, store, identity, kinds, districts)
        if not kinds:
            return await self.everything(dispatcher, tracker, store, identity)
        removed: List[str] = []
        missing: List[str] = []
        for kind in kinds:
            (removed if await run(store.unsubscribe, identity, kind) else missing).append(kind)
        remaining = await run(store.subscriptions_of, identity)
        parts = []
        if removed:
            parts.append(f"已退订{kind_list(removed)}，之后不会再推送这一类信息。")
        if missing:
            parts.append(f"你没有订阅过{kind_list(missing)}，不用退订。")
        if remaining:
            parts.append("现在还订阅着：\n" + subscription_lines(remaining) + "\n不想收了回复“退订”可以全部取消。")
            buttons = [action_button("全部退订", "unsubscribe"), action_button("我的订阅", "list_subscriptions")]
        else:
            parts.append("现在没有任何订阅了。需要时说“订阅招聘会”这样的话就能重新订阅。")
            buttons = [action_button("重新订阅", "subscribe")]
        dispatcher.utter_message(text="\n".join(parts), buttons=buttons)
        return answered(tracker, "unsubscribe:" + ",".join(kinds), buttons=numbered(buttons))

    async def districts_out(self, dispatcher: CollectingDispatcher, tracker: Tracker, store: NoticeStore, identity: str,
                            kinds: List[str], districts: List[str]) -> List[EventType]:
        subs = [s for s in await run(store.subscriptions_of, identity) if not kinds or s.kind in kinds]
        parts = []
        for sub in subs:
            if not sub.districts:
                parts.append(f"{KINDS[sub.kind]}订阅的是全市，没有单独订阅{areas(districts)}；"
                             f"要改成只收某几个区，直接说比如“订阅朝阳区的{KINDS[sub.kind]}”，不想收了说“退订{KINDS[sub.kind]}”。")
                continue
            kept = [d for d in sub.districts if d not in districts]
            if kept == sub.districts:
                parts.append(f"{KINDS[sub.kind]}（{areas(sub.districts)}）里没有{areas(districts)}，不用退订。")
            elif kept:
                await run(store.subscribe, Subscription(identity, sub.kind, kept))
                parts.append(f"已退订{KINDS[sub.kind]}的{areas([d for d in sub.districts if d in districts])}，还保留：{areas(kept)}。")
            else:
                await run(store.unsubscribe, identity, sub.kind)
                parts.append(f"已退订{KINDS[sub.kind]}（{areas(sub.districts)}），之后不会再推送这一类信息。")
        if not subs:
            parts.append("你目前没有订阅这类信息，不需要退订。")
        buttons = [action_button("我的订阅", "list_subscriptions"), action_button("全部退订", "unsubscribe")]
        dispatcher.utter_message(text="\n".join(parts), buttons=buttons)
        return answered(tracker, "unsubscribe:" + ",".join(s.kind for s in subs), buttons=numbered(buttons))

    async def everything(self, dispatcher: CollectingDispatcher, tracker: Tracker, store: NoticeStore, identity: str) -> List[EventType]:
        before = await run(store.subscriptions_of, identity)
        await run(store.unsubscribe, identity)
        await run(store.mark_inactive, identity, "unsubscribed")
        if before:
            text = f"已退订全部订阅（{kind_list([s.kind for s in before])}），之后不会再在这里给你推送任何信息。"
        else:
            text = "你目前没有订阅任何信息，不需要退订。之后也不会再在这里给你推送消息。"
        text += "\n如果做过求职登记，岗位推荐的推送也一并停止了。想恢复，随时说“订阅招聘会”这样的话重新订阅。"
        buttons = [action_button("重新订阅", "subscribe")]
        dispatcher.utter_message(text=text, buttons=buttons)
        return answered(tracker, "unsubscribe:all", buttons=numbered(buttons))


async def ask_what_to_cancel(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """A bare “取消” outside any task (the NLU takes it for unsubscribe or delete_registration):
    which one, with buttons; with no subscriptions, that nothing is running, and the menu."""
    subs = await run(notice_store().subscriptions_of, tracker.sender_id)
    if not subs:
        dispatcher.utter_message(text="现在没有正在进行、需要取消的事，你也没有订阅任何通知。想做点什么，可以看看下面的菜单。")
        dispatcher.utter_message(response="utter_help")
        return answered(tracker, "unsubscribe:nothing")
    text = ("你想取消什么？你现在订阅着：\n" + subscription_lines(subs)
            + "\n点“取消订阅”会退订全部通知；要删除求职登记，点“删除我的登记”。")
    buttons: List[Button] = [action_button("取消订阅", "unsubscribe"), {"title": "删除我的登记", "payload": "/delete_registration"},
                             {"title": "都不是", "payload": "/help"}]
    dispatcher.utter_message(text=text, buttons=buttons)
    return answered(tracker, "unsubscribe:ask", buttons=numbered(buttons))


# what asking for one's subscriptions says (“我订了啥”, “我的订阅”, “还剩啥”)
ASKS_SUBSCRIPTIONS = re.compile(r"订|訂|推送|推给|通知|提醒|剩|subscri|notif", re.IGNORECASE)


class ActionListSubscriptions(Action):
    """The sender's subscriptions, with a button to unsubscribe from each."""

    def name(self) -> str:
        return "action_list_subscriptions"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        text = latest_text(tracker)
        # “区人社局会通过哪些方式来摸我的就业情况” asks about no subscription: answered, if anything answers it
        if not text.startswith("/") and not ASKS_SUBSCRIPTIONS.search(text):
            instead = await answer_instead(dispatcher, tracker, domain)
            if instead is not None:
                return instead
        return await guarded(dispatcher, self.show(dispatcher, tracker))

    async def show(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        subs = await run(notice_store().subscriptions_of, tracker.sender_id)
        if not subs:
            text = "你还没有订阅任何信息。可以订阅下面这些（不说区域就是全市）。" + delivery_note(tracker.sender_id)
            buttons = [action_button(f"订阅{name}", "subscribe", [code]) for code, name in KINDS.items()]
            dispatcher.utter_message(text=text, buttons=buttons)
            return answered(tracker, "subscriptions:none", buttons=numbered(buttons))
        text = ("你订阅了：\n" + subscription_lines(subs) + "\n" + delivery_note(tracker.sender_id) + "点下面的按钮可以退订某一类；"
                "想改区域，直接说比如“订阅朝阳区的招聘会”。")
        buttons = [action_button(f"退订{KINDS.get(s.kind, s.kind)}", "unsubscribe", [s.kind]) for s in subs]
        buttons.append(action_button("全部退订", "unsubscribe"))
        dispatcher.utter_message(text=text, buttons=buttons)
        return answered(tracker, "subscriptions:list", buttons=numbered(buttons))


class ActionAnswerNotices(KnowledgeAction):
    """The notices published and valid today, of the kind and district asked (up to five).
    A follow-up naming only a district (or only a kind) keeps the rest of the previous question."""

    keeps = NOTICE_WORDS

    def name(self) -> str:
        return "action_answer_notices"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        return await guarded(dispatcher, self.notices(dispatcher, tracker))

    async def notices(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        request = current_request(tracker)
        kinds = requested_kinds(request)
        districts = requested_districts(request)
        note = ""
        previous = previous_question(tracker)
        if previous is not None:
            old_kind, old_district = previous
            if districts and not kinds and old_kind:
                kinds, note = [old_kind], f"（按你刚才问的{KINDS[old_kind]}查询）\n"
            elif kinds and not districts and old_district and not wants_city_wide(request):
                districts, note = [old_district], f"（按你刚才说的{old_district}查询）\n"
        store = notice_store()
        found = await run(self.lookup, store, kinds, districts, beijing_today())
        subscribed = {s.kind for s in await run(store.subscriptions_of, tracker.sender_id)}
        what = kind_list(kinds) if kinds else "信息"
        where = f"（{areas(districts)}及全市范围）" if districts else ""
        offer = [k for k in kinds if k not in subscribed][:1]
        buttons = [action_button(f"有{KINDS[k]}时通知我", "subscribe", [k], districts) for k in offer]
        if not kinds:
            buttons.append(action_button("订阅通知", "subscribe", [], districts))
        if found:
            more = "（只列出最近的5条）" if len(found) >= MAX_NOTICES else ""
            text = f"{note}目前发布中的{what}{where}{more}：\n" + "\n".join(describe(i, n) for i, n in enumerate(found, 1))
            if offer:
                text += f"\n想以后有新的{KINDS[offer[0]]}自动推送给你，点“有{KINDS[offer[0]]}时通知我”。"
            elif not kinds:
                text += "\n想以后有新发布时自动推送给你，点“订阅通知”。"
        else:
            text = (f"{note}目前没有发布中的{what}{where}。"
                    + (f"点“有{KINDS[offer[0]]}时通知我”订阅，有新发布时会第一时间推送给你。" if offer
                       else "点“订阅通知”，有新发布时会第一时间推送给你。" if not kinds
                       else "你已经订阅了，有新发布时会推送给你。")
                    + campaign_activities(kinds)
                    + "\n也可以先看看常用的招聘渠道（如北京毕业生就业创业服务平台），回复“招聘渠道”或点下面的按钮。")
            buttons.append({"title": "招聘渠道", "payload": "/ask_job_channels"})
            if "policy" in kinds:
                buttons.append({"title": "政策清单", "payload": "/ask_policy"})
        ref = f"notices:{','.join(kinds) or 'all'}:{','.join(districts) or 'all'}"
        dispatcher.utter_message(text=text, buttons=buttons or None)
        return answered(tracker, ref, buttons=numbered(buttons))

    @staticmethod
    def lookup(store: NoticeStore, kinds: List[str], districts: List[str], today: date) -> List[Notice]:
        """Published notices of every kind × district asked, soonest events first, at most five."""
        found: Dict[int, Notice] = {}
        every_kind: List[Optional[str]] = [*kinds] or [None]  # None: every kind
        every_district: List[Optional[str]] = [*districts] or [None]  # None: the whole city
        for kind in every_kind:
            for district in every_district:
                for notice in store.published(kind, district, today, MAX_NOTICES):
                    found.setdefault(notice.id or 0, notice)
        ordered = sorted(found.values(), key=lambda n: (n.event_date is None, n.event_date or date.max, -(n.id or 0)))
        return ordered[:MAX_NOTICES]


def campaign_activities(kinds: Sequence[str]) -> str:
    """With no job fair published, what the campaign itself runs (通知 五（七）)."""
    if kinds and not {"fair", "job"} & set(kinds):
        return ""
    fairs = kb().measures["m7"]
    return f"\n攻坚行动期间的招聘活动：{fairs.summary}（来源：通知 {fairs.section}）"


def subscribed_in_play(tracker: Tracker) -> List[str]:
    """The kinds of the subscription answer just given (answer_ref 'subscribe:fair,job'), if it was."""
    ref = tracker.get_slot("answer_ref")
    if not isinstance(ref, str) or not ref.startswith("subscribe:"):
        return []
    return [kind for kind in ref.partition(":")[2].split(",") if kind in KINDS]


# answers about a kind of notice without being a notices answer: the recruitment campaigns are job fairs
KIND_OF_ANSWER = {"measure:m7": "fair", "detail:offline_job_fairs": "fair", "detail:livestream_where": "fair"}
RECENT_ANSWERS = 3  # answers back that a subscription request may refer to


def kinds_talked_about(tracker: Tracker) -> List[str]:
    """The kind of notices the last few answers were about (answer_ref 'notices:fair:…', the recruitment
    campaigns), most recent first; none when they were about something else."""
    refs = [e.get("value") for e in reversed(tracker.events) if e.get("event") == "slot" and e.get("name") == "answer_ref"]
    for ref in [tracker.get_slot("answer_ref"), *refs][:RECENT_ANSWERS]:
        if not isinstance(ref, str):
            continue
        if ref.startswith("notices:") and ref.split(":")[1] in KINDS:
            return [ref.split(":")[1]]
        if ref in KIND_OF_ANSWER:
            return [KIND_OF_ANSWER[ref]]
    return []


def previous_question(tracker: Tracker) -> Optional[Tuple[Optional[str], Optional[str]]]:
    """(kind, district) of the notices answer just given, from its answer_ref."""
    ref = tracker.get_slot("answer_ref")
    if not isinstance(ref, str) or not ref.startswith("notices:"):
        return None
    _, kinds, districts = (ref.split(":", 2) + ["", ""])[:3]
    kind = kinds if kinds in KINDS else None
    district = districts if districts and districts != "all" and "," not in districts else None
    return kind, district


def describe(number: int, notice: Notice) -> str:
    lines = [f"{number}. 【{KINDS.get(notice.kind, notice.kind)}】{notice.title}"]
    if notice.event_date or notice.event_time:
        when = " ".join(part for part in (day(notice.event_date) if notice.event_date else "", notice.event_time or "") if part)
        lines.append(f"时间：{when}")
    if notice.place:
        lines.append(f"地点：{notice.place}")
    if notice.online_link:
        lines.append(f"线上参加：{notice.online_link}")
    if notice.kind != "fair" and notice.body:
        body = " ".join(notice.body.split())
        lines.append(f"内容：{body[:BODY_PREVIEW]}{'…' if len(body) > BODY_PREVIEW else ''}")
    lines.append(f"区域：{notice.district or CITY_WIDE}")
    if notice.organiser:
        lines.append(f"主办/发布：{notice.organiser}")
    lines.append(f"有效期至：{day(notice.valid_until)}")
    return "\n   ".join(lines)
