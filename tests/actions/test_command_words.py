"""An action that changes something (starts a registration, subscribes, deletes) or decides
eligibility acts only when the message asks for it in words; a question the NLU mistook for the
command is answered instead (run on the session's ledger, tests/conftest.py)."""
from __future__ import annotations

import secrets
from typing import Any, Dict, Iterable, Optional, Tuple

from rasa_sdk import Tracker

from actions.eligibility import ActionCheckEligibility
from actions.registration.action import TASK_SLOT, ActionDeleteRegistration, ActionRegistration, ActionViewRegistration
from actions.storage import open_ledger
from actions.subscriptions import ActionSubscribe
from notices.store import NoticeStore
from tests.actions.conftest import make_tracker, run


def sender_tracker(text: str, intent: str, entities: Iterable[Tuple[str, str]] = (),
                   slots: Optional[Dict[str, Any]] = None) -> Tracker:
    """A message of a new sender, classified with middling confidence as the NLU did."""
    tracker = make_tracker(text, intent, entities, slots, confidence=0.5)
    tracker.sender_id = f"tg:{secrets.randbelow(10**9)}"
    return tracker


def test_a_question_taken_for_registering_is_answered_and_starts_nothing() -> None:
    result = run(ActionRegistration(), sender_tracker("北京的最低工资标准现在是多少", "register"))
    assert "2320" in result.text and "同意" not in result.text
    assert result.slot(TASK_SLOT) is None
    after = run(ActionRegistration(), sender_tracker("登记之后你们能给我啥服务", "register"))
    assert "职业指导" in after.text and "你同意吗" not in after.text and after.slot(TASK_SLOT) is None


def test_asking_to_register_still_starts_it() -> None:
    result = run(ActionRegistration(), sender_tracker("帮我登个记吧", "register"))
    assert "同意" in result.text and result.slot(TASK_SLOT) == "action_registration"


def test_a_question_taken_for_deleting_is_answered_and_deletes_nothing() -> None:
    result = run(ActionDeleteRegistration(), sender_tracker("有没有网上的招聘 现场我不想去", "delete_registration"))
    assert "无接触面试" in result.text and "删除" not in result.text


def test_asking_to_delete_still_asks_to_confirm_or_says_nothing_is_stored() -> None:
    result = run(ActionDeleteRegistration(), sender_tracker("把我的资料都删了", "delete_registration"))
    assert "不需要删除" in result.text or "确定删除" in result.text


def test_asking_whether_a_registration_can_be_deleted_is_answered_yes_though_nothing_is_stored() -> None:
    result = run(ActionDeleteRegistration(), sender_tracker("我登记过的信息能删掉吗", "delete_registration"))
    assert result.text.startswith("可以") and "删除我的登记" in result.text and "没有登记信息" in result.text


def test_a_question_naming_a_kind_of_notice_subscribes_to_nothing() -> None:
    tracker = sender_tracker("见习岗位都是哪个部门去募集的", "subscribe", [("notice_kind", "见习岗位")])
    result = run(ActionSubscribe(), tracker)
    assert ("各区" in result.text or "区人社局" in result.text) and "已订阅" not in result.text
    assert NoticeStore(open_ledger().engine).subscriptions_of(tracker.sender_id) == []


def test_a_story_ending_in_a_rights_question_is_not_an_eligibility_check() -> None:
    text = "在小饭馆干了两个月，老板一分钱工资都没发，这种情况怎么维权"
    result = run(ActionCheckEligibility(), sender_tracker(text, "check_eligibility"))
    assert "12333" in result.text and "劳动保障监察" in result.text and "服务对象" not in result.text


def test_an_age_said_in_passing_is_read_and_today_is_not_a_graduation_year() -> None:
    text = "我今年33了，在街道做过失业登记，新闻说这次行动是给毕业生的，我这年纪也算吗"
    result = run(ActionCheckEligibility(), sender_tracker(text, "check_eligibility"))
    assert "33岁" in result.text and "2022届" not in result.text.split("依据")[-1].split("：")[0]


def test_a_question_taken_for_seeing_ones_registration_is_answered() -> None:
    result = run(ActionViewRegistration(), sender_tracker("我去登记了以后 人社局会给我提供哪些服务", "view_registration"))
    assert "职业指导" in result.text and "还没有在这里做过求职登记" not in result.text
    # whether the campaign is still in force is asked of no registration
    late = run(ActionViewRegistration(), sender_tracker("现在都2026了 这行动还有效吗", "view_registration"))
    assert "还没有在这里做过求职登记" not in late.text and "2022" in late.text
    for words in ("查看我的登记", "我登没登记上啊", "你们那边存了我哪些信息", "我是不是已经登记过了", "我的登记还有效吗"):
        result = run(ActionViewRegistration(), sender_tracker(words, "view_registration"))
        assert "还没有在这里做过求职登记" in result.text, words


def test_an_age_told_beside_a_where_or_what_question_asks_no_check() -> None:
    result = run(ActionCheckEligibility(), sender_tracker("刚被裁 28岁 去哪登记失业啊", "check_eligibility"))
    assert "你符合条件" not in result.text and "35岁以下" in result.text
    checked = run(ActionCheckEligibility(), sender_tracker("我24岁，2021年毕业，能参加吗", "check_eligibility"))
    assert "你符合条件" in checked.text


def test_a_wish_to_start_up_after_graduating_gets_the_start_up_help_not_the_check() -> None:
    for text in ("我想毕业后创业，有什么支持？", "我打算毕业后创业开个咖啡店 政府有啥支持"):
        result = run(ActionCheckEligibility(), sender_tracker(text, "check_eligibility"))
        assert "创业培训" in result.text and "你正是攻坚行动的服务对象" not in result.text, text
