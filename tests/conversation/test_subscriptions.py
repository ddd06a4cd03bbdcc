"""Subscriptions and notice questions end to end: the real Rasa and action server with the
trained model, through the REST channel."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from actions.storage import open_ledger
from notices.model import Notice
from notices.store import NoticeStore
from tests.conftest import Conversation

pytestmark = pytest.mark.stack


def store() -> NoticeStore:
    return NoticeStore(open_ledger().engine)  # the same SQLite file the stack's action server uses


def test_subscribe_to_a_districts_fairs_list_and_unsubscribe(stack: object, request: pytest.FixtureRequest) -> None:
    talk = Conversation(stack, f"tg:{request.node.name}")  # type: ignore[arg-type]
    reply = talk.text("订阅海淀区的招聘会")
    assert "招聘会" in reply and "海淀区" in reply
    subs = store().subscriptions_of(talk.sender)
    assert [(s.kind, s.districts) for s in subs] == [("fair", ["海淀区"])]
    assert "招聘会" in talk.text("我订阅了哪些")
    talk.text("退订")
    assert store().subscriptions_of(talk.sender) == []


def test_only_traineeships(stack: object, request: pytest.FixtureRequest) -> None:
    talk = Conversation(stack, f"tg:{request.node.name}")  # type: ignore[arg-type]
    talk.text("订阅招聘会")
    talk.text("只要见习岗位")
    assert [s.kind for s in store().subscriptions_of(talk.sender)] == ["traineeship"]


def test_recent_fairs_are_answered_from_the_published_notices(stack: object, request: pytest.FixtureRequest) -> None:
    notices = store()
    today = date.today()
    notice_id = notices.create(Notice("fair", "丰台区夏季高校毕业生专场招聘会", "示例招聘会", today, today + timedelta(days=7),
                                      "staff1", district="丰台区", event_date=today + timedelta(days=2), event_time="9:00-12:00",
                                      place="丰台区示例会场"))
    notices.publish(notice_id)
    talk = Conversation(stack, f"web:{request.node.name}")  # type: ignore[arg-type]
    reply = talk.text("丰台最近有什么招聘会")
    assert "丰台区夏季高校毕业生专场招聘会" in reply and "丰台区示例会场" in reply
    notices.withdraw(notice_id)
    assert "丰台区夏季高校毕业生专场招聘会" not in talk.text("丰台最近有什么招聘会")
