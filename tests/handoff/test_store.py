"""The handoff cases on both databases: one open case per graduate, the transcript kept encrypted
with numbers masked, staff replies claimed by one worker only, leases, scope and key rotation."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import List

import pytest
from sqlalchemy import select, update

from db.crypto import new_key
from db.engine import now
from db.tables import handoff_messages, handoffs
from handoff.store import CLOSING_NOTICE, MAX_REPLY, HandoffError, HandoffStore
from ledger.config import LedgerSettings
from ledger.store import Ledger
from tests.ledger.conftest import HASH_KEY
from unanswered.store import UnansweredStore

TRANSCRIPT = [("graduate", "社保补贴怎么申请"), ("assistant", "社保补贴……"), ("graduate", "我手机13812345678，转人工")]


def test_a_case_opens_once_with_the_conversation_so_far(cases: HandoffStore) -> None:
    case, created = cases.open("tg:1001", "海淀区", TRANSCRIPT)
    again, created_again = cases.open("tg:1001", "海淀区", TRANSCRIPT)
    assert created and not created_again and again.id == case.id
    said = cases.messages(case.id)
    assert [(m.author, m.text) for m in said] == [
        ("graduate", "社保补贴怎么申请"), ("assistant", "社保补贴……"), ("graduate", "我手机138****5678，转人工")]
    assert case.status == "open" and case.channel == "tg" and case.district == "海淀区"


def test_texts_are_encrypted_at_rest(cases: HandoffStore, ledger: Ledger) -> None:
    case, _ = cases.open("web:s1", None, [("graduate", "我毕业两年了还能领见习补贴吗")])
    with ledger.engine.begin() as conn:
        stored = conn.execute(select(handoff_messages.c.text_enc).where(handoff_messages.c.handoff_id == case.id)).scalar()
    assert "见习" not in stored and cases.messages(case.id)[0].text == "我毕业两年了还能领见习补贴吗"


def test_racing_requests_for_a_person_end_in_one_case(cases: HandoffStore) -> None:
    opened: List[int] = []
    errors: List[BaseException] = []

    def open_case() -> None:
        try:
            opened.append(cases.open("wx:o-race", None, [])[0].id)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=open_case) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(opened)) == 1


def test_staff_reply_is_queued_and_claimed_by_one_worker(cases: HandoffStore) -> None:
    case, _ = cases.open("tg:1002", None, [])
    message_id = cases.reply(case.id, "haidian", "你好，我是海淀区就业服务中心的工作人员。")
    assert cases.due() == [message_id]
    first = cases.claim(message_id, 60)
    assert first is not None and first.identity == "tg:1002" and first.text.startswith("你好") and first.attempts == 1
    assert cases.claim(message_id, 60) is None  # the other worker
    cases.settle(message_id, "sent")
    assert cases.due() == [] and cases.messages(case.id)[-1].delivery == "sent"
    assert cases.get(case.id).claimed_by == "haidian"  # type: ignore[union-attr]


def test_a_retry_goes_back_to_pending_and_a_lost_lease_becomes_unknown(cases: HandoffStore, ledger: Ledger) -> None:
    case, _ = cases.open("tg:1003", None, [])
    first = cases.reply(case.id, "city1", "第一条")
    second = cases.reply(case.id, "city1", "第二条")
    assert cases.claim(first, 60) is not None
    assert cases.claim(second, 60) is None  # not before the first one is dealt with
    cases.settle(first, "retry", "Telegram unreachable", retry_in=0)
    assert cases.due() == [first, second] and cases.claim(second, 60) is None
    assert cases.claim(first, 60) is not None
    cases.settle(first, "retry", "Telegram unreachable", retry_in=60)
    assert cases.due() == [second]  # the first waits for its retry time
    with ledger.engine.begin() as conn:
        conn.execute(update(handoff_messages).where(handoff_messages.c.id == first).values(lease_until=None))
    assert cases.claim(first, 60) is not None
    cases.settle(first, "sent")
    assert cases.claim(second, 60) is not None
    with ledger.engine.begin() as conn:  # the worker holding it stopped long ago
        conn.execute(update(handoff_messages).where(handoff_messages.c.id == second).values(lease_until=now() - timedelta(seconds=1)))
    assert cases.expire_leases() == 1
    assert [m.delivery for m in cases.messages(case.id)] == ["sent", "unknown"]


@pytest.mark.parametrize("text, problem", [("   ", "不能为空"), ("字" * (MAX_REPLY + 1), f"最多 {MAX_REPLY} 个字")])
def test_bad_replies_are_refused(cases: HandoffStore, text: str, problem: str) -> None:
    case, _ = cases.open("tg:1004", None, [])
    with pytest.raises(HandoffError, match=problem):
        cases.reply(case.id, "city1", text)
    assert cases.due() == []


def test_closing_notifies_the_graduate_once_and_stops_replies(cases: HandoffStore) -> None:
    case, _ = cases.open("tg:1005", None, [])
    assert cases.close(case.id, "city1", notify=True)
    assert not cases.close(case.id, "city2", notify=True)
    said = cases.messages(case.id)
    assert [(m.author, m.text, m.delivery) for m in said] == [("system", CLOSING_NOTICE, "pending")]
    with pytest.raises(HandoffError, match="已结束"):
        cases.reply(case.id, "city1", "还在吗")
    assert cases.current("tg:1005") is None
    reopened, created = cases.open("tg:1005", None, [])
    assert created and reopened.id != case.id


def test_the_queue_is_scoped_and_says_who_waits(cases: HandoffStore) -> None:
    haidian, _ = cases.open("tg:2001", "海淀区", [])
    chaoyang, _ = cases.open("tg:2002", "朝阳区", [])
    unknown, _ = cases.open("web:s2002", None, [])
    cases.reply(chaoyang.id, "chaoyang", "您好")
    ids = lambda summaries: [s["case"].id for s in summaries]  # noqa: E731
    assert ids(cases.cases("open", None)) == [haidian.id, chaoyang.id, unknown.id]
    assert ids(cases.cases("open", ["海淀区", None])) == [haidian.id, unknown.id]
    waiting = {s["case"].id: s["waiting"] for s in cases.cases("open", None)}
    assert waiting == {haidian.id: True, chaoyang.id: False, unknown.id: True}
    cases.inbound(chaoyang.id, "好的，我想问档案的事")
    assert {s["case"].id: s["waiting"] for s in cases.cases("open", None)}[chaoyang.id] is True


def test_key_rotation_re_encrypts_messages_and_questions(database_url: str) -> None:
    old_key, new = new_key(), new_key()
    old = Ledger.open(LedgerSettings(database_url=database_url, keys=[old_key], hash_key=HASH_KEY))
    case, _ = HandoffStore(old.engine, old.cipher).open("tg:3001", None, [("graduate", "原话")])
    UnansweredStore(old.engine, old.cipher).record("tg", "火星上有招聘会吗", "out_of_scope", "out_of_scope", 0.9)
    old.close()
    both = Ledger.open(LedgerSettings(database_url=database_url, keys=[new, old_key], hash_key=HASH_KEY))
    assert both.rotate_keys("ops") == 2
    both.close()
    only_new = Ledger.open(LedgerSettings(database_url=database_url, keys=[new], hash_key=HASH_KEY))
    assert HandoffStore(only_new.engine, only_new.cipher).messages(case.id)[0].text == "原话"
    assert [q.text for q in UnansweredStore(only_new.engine, only_new.cipher).open_questions()] == ["火星上有招聘会吗"]
    only_new.close()


def test_wechat_window_follows_the_graduates_last_message(cases: HandoffStore, ledger: Ledger) -> None:
    case, _ = cases.open("wx:o-window", None, [])
    assert cases.get(case.id).wechat_window_open(now())  # type: ignore[union-attr]
    with ledger.engine.begin() as conn:
        conn.execute(update(handoffs).where(handoffs.c.id == case.id).values(last_inbound_at=now() - timedelta(hours=49)))
    assert not cases.get(case.id).wechat_window_open(now())  # type: ignore[union-attr]
