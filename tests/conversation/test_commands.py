"""Commands the graduate types in the middle of something, end to end on the real Rasa and action
server (REST): “查看我的登记” / “删除我的登记” / “以后再说” at the registration's gates, leaving a
handoff in their own words and being told that messages reach staff, and a bare “取消”."""
from __future__ import annotations

from typing import Iterator, List

import pytest

from actions.storage import open_ledger
from devstack.stack import Stack
from handoff.store import HandoffStore
from notices.model import Subscription
from notices.store import NoticeStore
from tests.conftest import Conversation

pytestmark = pytest.mark.stack
PHONE = "13955554444"
ANSWERS = ["王芳", PHONE, "跳过", "北京工业大学", "会计学", "本科", "2022", "23", "海淀", "未就业", "行政文员", "不限", "1 2", "不属于"]


@pytest.fixture
def talk(stack: Stack, request: pytest.FixtureRequest) -> Iterator[Conversation]:
    conversation = Conversation(stack, f"tg:{abs(hash(request.node.name)) % 10**9}")
    yield conversation
    conversation.http.close()
    ledger = open_ledger()
    cases = HandoffStore(ledger.engine, ledger.cipher)
    case = cases.current(conversation.sender)
    if case is not None:
        cases.close(case.id, "test", notify=False)
    ledger.delete(conversation.sender)
    ledger.delete_draft(conversation.sender)
    NoticeStore(ledger.engine).unsubscribe(conversation.sender)


def visible(talk: Conversation, text: str) -> str:
    return "\n".join(m["text"] for m in talk.say(text) if m.get("text"))


def fill(talk: Conversation) -> str:
    assert "你同意吗" in visible(talk, "我要登记")
    visible(talk, "同意")
    for answer in ANSWERS:
        last = visible(talk, answer)
    return last


# ---- registration gates

def test_at_the_consent_view_is_answered_and_not_now_leaves(talk: Conversation) -> None:
    visible(talk, "我要登记")
    shown = visible(talk, "查看我的登记")
    assert "没有保存你的任何登记信息" in shown and "需要你先同意" in shown
    assert talk.slot("active_task") == "action_registration"
    left = visible(talk, "以后再说")
    assert "没有保存你的任何信息" in left and talk.slot("active_task") is None
    assert open_ledger().get_draft(talk.sender) is None


def test_at_the_summary_view_then_delete_with_confirmation(talk: Conversation) -> None:
    assert "请核对你的登记信息" in fill(talk)
    shown = visible(talk, "看看我填的")
    assert "还没提交" in shown and "139****4444" in shown and PHONE not in shown
    asked = talk.say("删除我的登记")
    assert "确定删除你没填完的登记" in "\n".join(m.get("text", "") for m in asked)
    assert talk.buttons(asked) == ["确认删除", "不删了"]
    assert "已删除" in visible(talk, "确认删除")
    assert open_ledger().get_draft(talk.sender) is None and talk.slot("active_task") is None


def test_at_the_summary_not_now_keeps_the_draft_and_continue_resumes(talk: Conversation) -> None:
    fill(talk)
    paused = visible(talk, "先不登记了")
    assert "保存着" in paused and "继续登记" in paused and talk.slot("active_task") is None
    assert open_ledger().get_draft(talk.sender) is not None
    resumed = visible(talk, "继续登记")
    assert "还没提交" in resumed and "请核对你的登记信息" in resumed
    assert "登记成功" in visible(talk, "确认提交")
    assert open_ledger().find(talk.sender) is not None


# ---- handoff

def test_handoff_acknowledges_a_nudge_stays_quiet_otherwise_and_ends_on_no_thanks(talk: Conversation) -> None:
    visible(talk, "转人工")
    ack = visible(talk, "有人吗")
    assert "转给工作人员" in ack and "结束人工" in ack and "不用了" in ack
    assert visible(talk, "我的档案在学校") == ""  # just told: not again for a few minutes
    cases = HandoffStore(open_ledger().engine, open_ledger().cipher)
    case = cases.current(talk.sender)
    assert case is not None and [m.text for m in cases.messages(case.id)][-2:] == ["有人吗", "我的档案在学校"]
    assert "已结束人工服务" in visible(talk, "不用了谢谢")
    assert talk.slot("active_task") is None and cases.current(talk.sender) is None
    assert "【社保补贴】" in visible(talk, "社保补贴是什么")


@pytest.mark.parametrize("words", ["算了", "我自己看看"])
def test_handoff_ends_in_the_graduates_own_words(talk: Conversation, words: str) -> None:
    visible(talk, "转人工")
    assert "已结束人工服务" in visible(talk, words) and talk.slot("active_task") is None


# ---- a bare 取消

def subscriptions(talk: Conversation) -> List[str]:
    return [s.kind for s in NoticeStore(open_ledger().engine).subscriptions_of(talk.sender)]


def test_a_bare_cancel_asks_what_to_cancel(talk: Conversation) -> None:
    NoticeStore(open_ledger().engine).subscribe(Subscription(talk.sender, "fair", ["海淀区"]))
    asked = talk.say("取消")
    assert "你想取消什么" in "\n".join(m.get("text", "") for m in asked)
    assert talk.buttons(asked) == ["取消订阅", "删除我的登记", "都不是"]
    assert subscriptions(talk) == ["fair"]
    assert "已退订全部订阅" in visible(talk, "/unsubscribe")  # the 取消订阅 button
    assert subscriptions(talk) == []


def test_a_bare_cancel_with_nothing_running_offers_the_menu(talk: Conversation) -> None:
    answer = visible(talk, "取消吧")
    assert "没有正在进行、需要取消的事" in answer and "我可以帮你" in answer
