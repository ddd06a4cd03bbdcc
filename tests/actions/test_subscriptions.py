"""Subscription and notice actions against a real SQLite database (the session's temporary ledger,
tests/conftest.py), with the sender id as the subscription's identity."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any, Dict, Iterable, Iterator, Optional, Tuple

import pytest
from rasa_sdk import Tracker
from sqlalchemy import create_engine

from actions import subscriptions
from actions.fallback import ActionClarify
from actions.registration.action import ActionDeleteRegistration
from actions.storage import open_ledger
from actions.subscriptions import (ActionAnswerNotices, ActionListSubscriptions, ActionSubscribe, ActionUnsubscribe,
                                   beijing_today)
from notices.model import Notice, Subscription
from notices.store import NoticeStore
from tests.actions.conftest import make_tracker, run

TODAY = beijing_today()


@pytest.fixture
def store() -> Iterator[NoticeStore]:
    """The ledger's database as the actions open it; every notice is withdrawn afterwards."""
    opened = NoticeStore(open_ledger().engine)
    yield opened
    for notice in opened.published(limit=1000, today=TODAY):
        opened.withdraw(notice.id or 0)


@pytest.fixture
def sender() -> str:
    return f"tg:{uuid.uuid4().hex[:12]}"


def tracker(sender: str, text: str, intent: str, entities: Iterable[Tuple[str, str]] = (),
            slots: Optional[Dict[str, Any]] = None) -> Tracker:
    built = make_tracker(text, intent, entities, slots)
    built.sender_id = sender
    return built


def click(sender: str, payload: str) -> Tracker:
    """A button press: Rasa gives the payload as the text and its entities as entities."""
    intent, _, raw = payload[1:].partition("{")
    values = json.loads("{" + raw) if raw else {}
    entities = [(name, v) for name, value in values.items() for v in (value if isinstance(value, list) else [value])]
    return tracker(sender, payload, intent, entities)


def kinds(store: NoticeStore, identity: str) -> Dict[str, list]:
    return {s.kind: s.districts for s in store.subscriptions_of(identity)}


def publish(store: NoticeStore, **fields: Any) -> int:
    base: Dict[str, Any] = dict(kind="fair", title="海淀区高校毕业生专场招聘会", body="百家用人单位，千余个岗位",
                                valid_from=TODAY - timedelta(days=1), valid_until=TODAY + timedelta(days=10),
                                created_by="staff1", district="海淀区")
    base.update(fields)
    notice_id = store.create(Notice(**base))
    store.publish(notice_id)
    return notice_id


# ---- subscribe

def test_subscribe_with_kind_and_district_is_stored_for_the_sender_and_confirmed(store: NoticeStore, sender: str) -> None:
    result = run(ActionSubscribe(), tracker(sender, "订阅海淀区的招聘会", "subscribe", [("notice_kind", "招聘会"), ("district", "海淀区")]))
    assert kinds(store, sender) == {"fair": ["海淀区"]}
    assert "已订阅：招聘会（海淀区）" in result.text
    assert "退订" in result.text and "我的订阅" in [b["title"] for m in result.messages for b in m.get("buttons") or []]
    assert result.slot("answer_ref") == "subscribe:fair"


def test_kind_and_district_from_text_alias_and_the_knowledge_base_synonym(store: NoticeStore, sender: str) -> None:
    # the global synonym table turns the entity 见习岗位 into the policy name 就业见习; the text says 朝阳
    result = run(ActionSubscribe(), tracker(sender, "以后有朝阳的见习岗位就通知我", "subscribe", [("notice_kind", "就业见习")]))
    assert kinds(store, sender) == {"traineeship": ["朝阳区"]}
    assert "见习岗位（朝阳区）" in result.text
    # “通知我” is a verb here, not the 服务公告 kind
    assert "服务公告" not in result.text


def test_subscribe_without_district_is_city_wide(store: NoticeStore, sender: str) -> None:
    result = run(ActionSubscribe(), tracker(sender, "订阅政策更新", "subscribe", [("notice_kind", "policy")]))
    assert kinds(store, sender) == {"policy": []}
    assert "政策更新（全市）" in result.text


def test_no_kind_named_asks_which_with_a_button_per_kind_keeping_the_district(store: NoticeStore, sender: str) -> None:
    result = run(ActionSubscribe(), tracker(sender, "订阅海淀的", "subscribe", [("district", "海淀")]))
    assert kinds(store, sender) == {}
    assert "想订阅哪一类" in result.text and "海淀区" in result.text
    titles = [b["title"] for b in result.buttons]
    assert titles == ["招聘岗位", "招聘会", "见习岗位", "政策更新", "服务公告", "全部订阅"]
    picked = click(sender, result.buttons[1]["payload"])
    run(ActionSubscribe(), picked)
    assert kinds(store, sender) == {"fair": ["海淀区"]}


def test_only_one_kind_unsubscribes_the_others(store: NoticeStore, sender: str) -> None:
    store.subscribe(Subscription(sender, "fair", ["海淀区"]))
    store.subscribe(Subscription(sender, "policy"))
    store.subscribe(Subscription(sender, "traineeship", ["朝阳区"]))
    result = run(ActionSubscribe(), tracker(sender, "只要见习岗位", "subscribe", [("notice_kind", "见习岗位")]))
    assert kinds(store, sender) == {"traineeship": ["朝阳区"]}  # districts kept when none are named
    assert "已退订：招聘会、政策更新" in result.text


def test_only_a_new_kind_keeps_the_districts_just_chosen(store: NoticeStore, sender: str) -> None:
    store.subscribe(Subscription(sender, "fair", ["海淀区"]))  # “订阅海淀区的招聘会”, then:
    result = run(ActionSubscribe(), tracker(sender, "只要见习岗位", "subscribe", [("notice_kind", "见习岗位")]))
    assert kinds(store, sender) == {"traineeship": ["海淀区"]}
    assert "已订阅：见习岗位（海淀区）" in result.text and "已退订：招聘会" in result.text


def test_whenever_is_not_only(store: NoticeStore, sender: str) -> None:
    store.subscribe(Subscription(sender, "policy"))
    run(ActionSubscribe(), tracker(sender, "只要有见习岗位就通知我", "subscribe", [("notice_kind", "见习岗位")]))
    assert set(kinds(store, sender)) == {"policy", "traineeship"}


def test_naming_districts_again_replaces_them_and_also_adds(store: NoticeStore, sender: str) -> None:
    store.subscribe(Subscription(sender, "fair", ["海淀区"]))
    changed = run(ActionSubscribe(), tracker(sender, "招聘会的订阅改成朝阳的", "subscribe", [("notice_kind", "招聘会"), ("district", "朝阳")]))
    assert kinds(store, sender) == {"fair": ["朝阳区"]}
    assert "区域从海淀区改为朝阳区" in changed.text
    run(ActionSubscribe(), tracker(sender, "把西城的招聘活动也加上", "subscribe", [("district", "西城"), ("notice_kind", "招聘活动")]))
    assert kinds(store, sender) == {"fair": ["朝阳区", "西城区"]}
    run(ActionSubscribe(), tracker(sender, "我订阅的招聘会改成全市的", "subscribe", [("notice_kind", "招聘会")]))
    assert kinds(store, sender) == {"fair": []}


# ---- unsubscribe

def test_unsubscribe_one_kind_says_what_remains(store: NoticeStore, sender: str) -> None:
    store.subscribe(Subscription(sender, "fair", ["海淀区"]))
    store.subscribe(Subscription(sender, "traineeship"))
    result = run(ActionUnsubscribe(), tracker(sender, "不要再给我发招聘会了", "unsubscribe", [("notice_kind", "招聘会")]))
    assert kinds(store, sender) == {"traineeship": []}
    assert "已退订招聘会" in result.text and "现在还订阅着" in result.text and "见习岗位（全市）" in result.text
    assert result.slot("answer_ref") == "unsubscribe:fair"


def test_unsubscribing_a_district_keeps_the_other_districts_and_kinds(store: NoticeStore, sender: str) -> None:
    store.subscribe(Subscription(sender, "fair", ["朝阳区", "海淀区"]))
    store.subscribe(Subscription(sender, "traineeship"))
    first = run(ActionUnsubscribe(), tracker(sender, "把朝阳的退了", "unsubscribe", [("district", "朝阳")]))
    assert kinds(store, sender) == {"fair": ["海淀区"], "traineeship": []}
    assert "已退订招聘会的朝阳区" in first.text and "还保留：海淀区" in first.text
    # a city-wide subscription has no district to take out: said, and kept
    assert "见习岗位订阅的是全市" in first.text
    second = run(ActionUnsubscribe(), tracker(sender, "退订海淀的招聘会", "unsubscribe", [("district", "海淀"), ("notice_kind", "招聘会")]))
    assert kinds(store, sender) == {"traineeship": []}
    assert "已退订招聘会（海淀区）" in second.text


def test_adding_a_district_right_after_subscribing(store: NoticeStore, sender: str) -> None:
    run(ActionSubscribe(), tracker(sender, "帮我订阅朝阳区的招聘会通知", "subscribe", [("notice_kind", "招聘会"), ("district", "朝阳区")]))
    result = run(ActionSubscribe(), tracker(sender, "再加个海淀的", "subscribe", [("district", "海淀")],
                                            {"answer_ref": "subscribe:fair"}))
    assert kinds(store, sender) == {"fair": ["朝阳区", "海淀区"]}
    assert "海淀区" in result.text


@pytest.mark.parametrize("text", ["再订阅一个朝阳区的", "再订个朝阳的"])
def test_subscribing_another_district_again_adds_it(store: NoticeStore, sender: str, text: str) -> None:
    store.subscribe(Subscription(sender, "fair", ["海淀区"]))
    run(ActionSubscribe(), tracker(sender, text, "subscribe", [("district", "朝阳")], {"answer_ref": "subscribe:fair"}))
    assert kinds(store, sender) == {"fair": ["海淀区", "朝阳区"]}


def test_narrowing_to_one_district_right_after_subscribing(store: NoticeStore, sender: str) -> None:
    run(ActionSubscribe(), tracker(sender, "我想订阅招聘会通知", "subscribe", [("notice_kind", "招聘会")]))
    result = run(ActionSubscribe(), tracker(sender, "只要朝阳区的", "subscribe", [("district", "朝阳区")],
                                            {"answer_ref": "subscribe:fair"}))
    assert kinds(store, sender) == {"fair": ["朝阳区"]}
    assert "从全市改为朝阳区" in result.text


def test_unsubscribe_a_kind_never_subscribed_says_so(store: NoticeStore, sender: str) -> None:
    store.subscribe(Subscription(sender, "policy"))
    result = run(ActionUnsubscribe(), tracker(sender, "取消订阅见习岗位", "unsubscribe", [("notice_kind", "见习岗位")]))
    assert kinds(store, sender) == {"policy": []}
    assert "你没有订阅过见习岗位" in result.text and "政策更新（全市）" in result.text


def test_unsubscribe_all_removes_everything_and_stops_pushes_until_a_new_subscription(store: NoticeStore, sender: str) -> None:
    store.subscribe(Subscription(sender, "fair", ["海淀区"]))
    store.subscribe(Subscription(sender, "policy"))
    result = run(ActionUnsubscribe(), tracker(sender, "退订", "unsubscribe"))
    assert kinds(store, sender) == {}
    assert "已退订全部订阅（招聘会、政策更新）" in result.text
    with store.engine.begin() as conn:
        inactive = conn.exec_driver_sql("SELECT inactive FROM recipients WHERE identity = ?", (sender,)).scalar()
    assert inactive == "unsubscribed"
    run(ActionSubscribe(), tracker(sender, "订阅招聘会", "subscribe", [("notice_kind", "招聘会")]))
    with store.engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT inactive FROM recipients WHERE identity = ?", (sender,)).scalar() is None


# ---- list

def test_list_shows_each_subscription_with_a_button_to_unsubscribe_it(store: NoticeStore, sender: str) -> None:
    store.subscribe(Subscription(sender, "fair", ["海淀区", "朝阳区"]))
    store.subscribe(Subscription(sender, "announcement"))
    result = run(ActionListSubscriptions(), tracker(sender, "我订阅了哪些", "list_subscriptions"))
    assert "1. 招聘会（海淀区、朝阳区）" in result.text and "2. 服务公告（全市）" in result.text
    assert [(b["title"], b["payload"]) for b in result.buttons] == [
        ("退订招聘会", '/unsubscribe{"notice_kind": "fair"}'),
        ("退订服务公告", '/unsubscribe{"notice_kind": "announcement"}'),
        ("全部退订", "/unsubscribe"),
    ]
    run(ActionUnsubscribe(), click(sender, result.buttons[0]["payload"]))
    assert kinds(store, sender) == {"announcement": []}


def test_list_with_nothing_subscribed_offers_the_kinds(store: NoticeStore, sender: str) -> None:
    result = run(ActionListSubscriptions(), tracker(sender, "看看我的订阅", "list_subscriptions"))
    assert "还没有订阅" in result.text
    assert [b["title"] for b in result.buttons][:2] == ["订阅招聘岗位", "订阅招聘会"]


# ---- the notices published now

def test_published_fairs_of_the_district_with_time_place_organiser_and_validity(store: NoticeStore, sender: str) -> None:
    publish(store, event_date=TODAY + timedelta(days=3), event_time="9:00-12:00", place="海淀区某会展中心（示例）",
            organiser="海淀区人力资源公共服务中心（示例）")
    publish(store, title="全市线上双选会", district=None, event_date=TODAY + timedelta(days=1),
            online_link="https://example.org/fair", organiser="北京市人社局（示例）")
    publish(store, title="朝阳专场招聘会", district="朝阳区", event_date=TODAY + timedelta(days=2))
    publish(store, title="已过期的招聘会", valid_from=TODAY - timedelta(days=9), valid_until=TODAY - timedelta(days=1))
    publish(store, kind="traineeship", title="海淀见习岗位", body="行政助理见习岗位10个")
    store.create(Notice(kind="fair", title="草稿招聘会", body="-", valid_from=TODAY, valid_until=TODAY, created_by="s", district="海淀区"))
    result = run(ActionAnswerNotices(), tracker(sender, "海淀这周有招聘会吗", "ask_notices", [("notice_kind", "招聘会"), ("district", "海淀")]))
    text = result.text
    assert "全市线上双选会" in text and "海淀区高校毕业生专场招聘会" in text
    for absent in ("朝阳专场招聘会", "已过期的招聘会", "海淀见习岗位", "草稿招聘会"):
        assert absent not in text
    assert text.index("全市线上双选会") < text.index("海淀区高校毕业生专场招聘会")  # soonest first
    start = TODAY + timedelta(days=3)
    assert f"时间：{start.year}年{start.month}月{start.day}日" in text and "9:00-12:00" in text
    assert "地点：海淀区某会展中心（示例）" in text and "线上参加：https://example.org/fair" in text
    assert "主办/发布：海淀区人力资源公共服务中心（示例）" in text
    until = TODAY + timedelta(days=10)
    assert f"有效期至：{until.year}年{until.month}月{until.day}日" in text
    assert result.slot("answer_ref") == "notices:fair:海淀区"
    assert result.buttons[0]["payload"] == '/subscribe{"notice_kind": "fair", "district": "海淀区"}'


def test_at_most_five_notices_and_a_follow_up_district_keeps_the_kind(store: NoticeStore, sender: str) -> None:
    for n in range(7):
        publish(store, kind="job", title=f"朝阳岗位{n}", district="朝阳区", body="岗位说明" * 30)
    result = run(ActionAnswerNotices(), tracker(sender, "最新的招聘信息", "ask_notices", [("notice_kind", "招聘信息")]))
    assert result.text.count("【招聘岗位】") == 5 and "只列出最近的5条" in result.text
    assert "内容：" in result.text and "…" in result.text  # long bodies are cut
    follow = run(ActionAnswerNotices(), tracker(sender, "海淀的呢", "ask_notices", [("district", "海淀")],
                                                slots={"answer_ref": result.slot("answer_ref")}))
    assert follow.text.startswith("（按你刚才问的招聘岗位查询）")
    assert "目前没有发布中的招聘岗位（海淀区及全市范围）" in follow.text


def test_none_published_says_so_offers_to_subscribe_and_points_to_job_channels(store: NoticeStore, sender: str) -> None:
    result = run(ActionAnswerNotices(), tracker(sender, "有没有见习岗位", "ask_notices", [("notice_kind", "见习岗位")]))
    assert "目前没有发布中的见习岗位" in result.text and "招聘渠道" in result.text
    assert [(b["title"], b["payload"]) for b in result.buttons] == [
        ("有见习岗位时通知我", '/subscribe{"notice_kind": "traineeship"}'),
        ("招聘渠道", "/ask_job_channels"),
    ]
    run(ActionSubscribe(), click(sender, result.buttons[0]["payload"]))
    assert kinds(store, sender) == {"traineeship": []}
    again = run(ActionAnswerNotices(), tracker(sender, "有没有见习岗位", "ask_notices", [("notice_kind", "见习岗位")]))
    assert "你已经订阅了" in again.text and [b["title"] for b in again.buttons] == ["招聘渠道"]


# ---- identities and failures

def test_one_identity_never_sees_or_changes_another_identitys_subscriptions(store: NoticeStore) -> None:
    alice, bob = "tg:isolation-1", "wx:isolation-openid"
    run(ActionSubscribe(), tracker(alice, "订阅海淀区的招聘会", "subscribe", [("notice_kind", "招聘会"), ("district", "海淀区")]))
    listed = run(ActionListSubscriptions(), tracker(bob, "我订阅了哪些", "list_subscriptions"))
    assert "还没有订阅" in listed.text and "海淀区" not in listed.text
    gone = run(ActionUnsubscribe(), tracker(bob, "退订", "unsubscribe"))
    assert "你目前没有订阅任何信息" in gone.text
    assert kinds(store, alice) == {"fair": ["海淀区"]} and kinds(store, bob) == {}
    mine = run(ActionListSubscriptions(), tracker(alice, "我订阅了哪些", "list_subscriptions"))
    assert "1. 招聘会（海淀区）" in mine.text
    # the same person on another channel is another identity
    assert kinds(store, "wx:isolation-1") == {}


@pytest.mark.parametrize("action,text,intent", [
    (ActionSubscribe(), "订阅招聘会", "subscribe"),
    (ActionUnsubscribe(), "退订", "unsubscribe"),
    (ActionListSubscriptions(), "我的订阅", "list_subscriptions"),
    (ActionAnswerNotices(), "最近有什么招聘会", "ask_notices"),
])
def test_database_errors_give_a_short_try_again_answer(monkeypatch: pytest.MonkeyPatch, action: Any, text: str, intent: str) -> None:
    broken = NoticeStore(create_engine("sqlite://"))  # no tables: every query fails
    monkeypatch.setattr(subscriptions, "notice_store", lambda: broken)
    result = run(action, tracker("tg:broken", text, intent, [("notice_kind", "招聘会")] if intent != "unsubscribe" else []))
    assert result.text == subscriptions.UNAVAILABLE
    assert "稍后再试" in result.text and result.events == []


def test_a_bare_number_picks_these_buttons(store: NoticeStore, sender: str) -> None:
    """The inform router runs the notice intents, so the buttons are offered as numbered choices."""
    ask = tracker(sender, "朝阳有见习岗位吗", "ask_notices", [("district", "朝阳"), ("notice_kind", "见习岗位")],
                  slots={"last_choices": ["/ask_policy"]})
    result = run(ActionAnswerNotices(), ask)
    assert result.buttons and result.slot("last_choices") == [b["payload"] for b in result.buttons]


def test_a_channel_the_push_worker_cannot_reach_is_told_so(store: NoticeStore) -> None:
    web = "web:session-1"
    result = run(ActionSubscribe(), tracker(web, "订阅招聘会", "subscribe", [("notice_kind", "招聘会")]))
    assert kinds(store, web) == {"fair": []}
    assert "不能主动推送" in result.text and "推送给你" not in result.text
    pushed = run(ActionSubscribe(), tracker("wx:openid-1", "订阅招聘会", "subscribe", [("notice_kind", "招聘会")]))
    assert "有新发布的信息会在这里推送给你" in pushed.text


# ---- a bare “取消”

@pytest.mark.parametrize("words", ["取消", "取消吧", "我要取消"])
def test_a_bare_cancel_asks_what_to_cancel_and_unsubscribes_nothing(store: NoticeStore, sender: str, words: str) -> None:
    store.subscribe(Subscription(sender, "fair", ["海淀区"]))
    result = run(ActionUnsubscribe(), tracker(sender, words, "unsubscribe"))
    assert kinds(store, sender) == {"fair": ["海淀区"]}
    assert "你想取消什么" in result.text and "招聘会（海淀区）" in result.text
    assert [(b["title"], b["payload"]) for b in result.buttons] == [
        ("取消订阅", "/unsubscribe"), ("删除我的登记", "/delete_registration"), ("都不是", "/help")]
    run(ActionUnsubscribe(), click(sender, result.buttons[0]["payload"]))  # 取消订阅: everything, as “退订”
    assert kinds(store, sender) == {}


def test_a_bare_cancel_with_nothing_subscribed_says_so_and_offers_the_menu(store: NoticeStore, sender: str) -> None:
    result = run(ActionUnsubscribe(), tracker(sender, "取消", "unsubscribe"))
    assert "没有正在进行、需要取消的事" in result.text and "没有订阅" in result.text
    assert [m.get("response") for m in result.messages] == [None, "utter_help"]
    with store.engine.begin() as conn:  # nothing was switched off either
        assert conn.exec_driver_sql("SELECT inactive FROM recipients WHERE identity = ?", (sender,)).scalar() is None


@pytest.mark.parametrize("words", ["退订", "取消订阅", "取消所有订阅", "不要再推送了"])
def test_saying_what_to_cancel_still_unsubscribes_everything(store: NoticeStore, sender: str, words: str) -> None:
    store.subscribe(Subscription(sender, "fair", ["海淀区"]))
    result = run(ActionUnsubscribe(), tracker(sender, words, "unsubscribe"))
    assert kinds(store, sender) == {} and "已退订全部订阅" in result.text


def test_a_bare_cancel_the_model_takes_for_deleting_the_registration_asks_the_same(store: NoticeStore, sender: str) -> None:
    store.subscribe(Subscription(sender, "policy"))
    result = run(ActionDeleteRegistration(), tracker(sender, "取消吧", "delete_registration"))
    assert "你想取消什么" in result.text and [b["title"] for b in result.buttons] == ["取消订阅", "删除我的登记", "都不是"]
    assert result.slot("active_task") is None and kinds(store, sender) == {"policy": []}
    asked = run(ActionDeleteRegistration(), tracker(sender, "删除我的登记", "delete_registration"))
    assert "不需要删除" in asked.text  # named: the deletion as before


def test_how_many_right_after_a_situations_help_is_asked_of_that_help_not_the_notices(store: NoticeStore, sender: str) -> None:
    result = run(ActionAnswerNotices(), tracker(sender, "能给几个工作机会", "ask_notices", [("notice_kind", "job")],
                                                {"answer_ref": "situation:hardship_family"}))
    assert "3-5个就业机会" in result.text and "招聘岗位" not in result.text
    # with nothing in play it is the notices' question
    result = run(ActionAnswerNotices(), tracker(sender, "最近有几个招聘会", "ask_notices", [("notice_kind", "招聘会")]))
    assert "招聘会" in result.text and "3-5" not in result.text


def test_subscribing_after_questions_about_job_fairs_subscribes_to_job_fairs(store: NoticeStore, sender: str) -> None:
    asked = tracker(sender, "那帮我订阅朝阳的", "subscribe", [("district", "朝阳区")], {"answer_ref": "detail:offline_job_fairs"})
    asked.events.insert(0, {"event": "slot", "name": "answer_ref", "value": "notices:fair:all"})
    result = run(ActionSubscribe(), asked)
    assert kinds(store, sender) == {"fair": ["朝阳区"]} and "已订阅：招聘会（朝阳区）" in result.text
    # after something else, the kind is asked
    other = run(ActionSubscribe(), tracker(sender + "-2", "帮我订阅朝阳的", "subscribe", [("district", "朝阳区")], {"answer_ref": "policy:traineeship"}))
    assert "想订阅哪一类信息" in other.text


def test_what_remains_right_after_taking_a_district_out_lists_the_subscriptions(store: NoticeStore, sender: str) -> None:
    store.subscribe(Subscription(sender, "fair", ["大兴区"]))
    # “还剩啥” the NLU cannot place: the subscriptions still held
    result = run(ActionClarify(), tracker(sender, "还剩啥", "nlu_fallback", slots={"answer_ref": "unsubscribe:fair"}))
    assert "你订阅了" in result.text and "大兴区" in result.text


def test_a_question_taken_for_listing_subscriptions_is_answered_instead(store: NoticeStore, sender: str) -> None:
    result = run(ActionListSubscriptions(), tracker(sender, "区人社局会通过哪些方式来摸我的就业情况", "list_subscriptions"))
    assert "订阅" not in result.text and ("电话" in result.text or "走访" in result.text)


def test_a_way_of_asking_for_a_clause_word_for_word_is_no_notices_question(store: NoticeStore, sender: str) -> None:
    result = run(ActionAnswerNotices(), tracker(sender, "哪些单位可以设见习岗位啊", "ask_notices", [("notice_kind", "就业见习")]))
    assert "社会组织" in result.text and "没有发布中的" not in result.text
