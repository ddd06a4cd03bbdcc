"""Notices, subscriptions, audiences and fan-out on SQLite and PostgreSQL."""
from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from ledger.model import Registration
from ledger.store import Ledger
from notices.model import Notice, Subscription
from notices.store import NoticeError, NoticeStore

TODAY = date.today()


def fair(district: str | None = "海淀区", **changes: object) -> Notice:
    base = dict(kind="fair", title="海淀区高校毕业生专场招聘会", body="百家企业，千个岗位", valid_from=TODAY,
                valid_until=TODAY + timedelta(days=10), created_by="staff1", district=district,
                event_date=TODAY + timedelta(days=3), event_time="9:00-12:00", place="海淀区某会展中心（示例）", organiser="海淀区人力资源公共服务中心（示例）")
    base.update(changes)
    return Notice(**base)  # type: ignore[arg-type]


def published(store: NoticeStore, notice: Notice) -> int:
    notice_id = store.create(notice)
    store.publish(notice_id)
    return notice_id


def test_published_notices_by_kind_and_district(store: NoticeStore) -> None:
    published(store, fair())
    published(store, fair(district=None, title="全市线上招聘会"))
    published(store, fair(district="朝阳区", title="朝阳专场"))
    published(store, fair(valid_until=TODAY - timedelta(days=1), valid_from=TODAY - timedelta(days=5), title="过期"))
    store.create(fair(title="草稿"))
    titles = [n.title for n in store.published("fair", "海淀区")]
    assert set(titles) == {"海淀区高校毕业生专场招聘会", "全市线上招聘会"}
    assert len(store.published("fair")) == 3


def test_subscriptions_are_one_per_kind_and_can_change(store: NoticeStore) -> None:
    assert store.subscribe(Subscription("tg:1", "fair", ["海淀区"]))
    assert not store.subscribe(Subscription("tg:1", "fair", ["海淀区", "朝阳区"]))
    store.subscribe(Subscription("tg:1", "traineeship"))
    subs = store.subscriptions_of("tg:1")
    assert [(s.kind, s.districts) for s in subs] == [("fair", ["海淀区", "朝阳区"]), ("traineeship", [])]
    assert store.unsubscribe("tg:1", "fair") == 1
    assert store.unsubscribe("tg:1") == 1 and store.subscriptions_of("tg:1") == []


def test_audience_matches_filters_and_skips_inactive(store: NoticeStore, ledger: Ledger) -> None:
    notice_id = published(store, fair())
    store.subscribe(Subscription("tg:1", "fair", ["海淀区"]))
    store.subscribe(Subscription("tg:2", "fair"))
    store.subscribe(Subscription("wx:o3", "fair", ["朝阳区"]))
    store.subscribe(Subscription("tg:4", "job"))
    store.subscribe(Subscription("tg:5", "fair"))
    store.mark_inactive("tg:5", "blocked")
    assert store.audience_count(notice_id) == 2


def test_job_postings_reach_registered_graduates_who_asked_for_recommendations(store: NoticeStore, ledger: Ledger) -> None:
    ledger.save("wx:g1", Registration(name="王芳", phone="13912345678", district="海淀区", services=["recommendation"]))
    ledger.save("wx:g2", Registration(name="李雷", phone="13812345678", district="朝阳区", services=["recommendation"]))
    ledger.save("wx:g3", Registration(name="韩梅", phone="13712345678", district="海淀区", services=["training"]))
    job = published(store, Notice("job", "会计助理", "某公司招聘", TODAY, TODAY + timedelta(days=30), "staff1", district="海淀区"))
    broadcast = store.create_broadcast(job, "staff1")
    assert store.fan_out(broadcast) == 1
    assert store.report(broadcast) == {"wx": {"pending": 1}}


def test_fan_out_is_idempotent_and_city_wide_needs_a_second_person(store: NoticeStore) -> None:
    notice_id = published(store, fair(district=None))
    for n in range(50):
        store.subscribe(Subscription(f"tg:{n}", "fair"))
    broadcast = store.create_broadcast(notice_id, "staff1")
    with pytest.raises(NoticeError):
        store.fan_out(broadcast)  # not approved yet
    with pytest.raises(NoticeError, match="second person"):
        store.approve(broadcast, "staff1")
    store.approve(broadcast, "staff2")
    assert store.fan_out(broadcast) == 50
    assert store.fan_out(broadcast) == 50  # again: no duplicates
    assert store.cancel(broadcast) == 50
    assert store.report(broadcast) == {"tg": {"skipped": 50}}


def test_fan_out_of_many_recipients_is_one_statement(store: NoticeStore, ledger: Ledger) -> None:
    with ledger.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO subscriptions (identity, channel, kind, created_at, updated_at) "
                             + ("SELECT 'tg:' || g, 'tg', 'fair', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM generate_series(1, 5000) g"
                                if conn.dialect.name == "postgresql" else
                                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 5000) "
                                "SELECT 'tg:' || n, 'tg', 'fair', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM g"))
    notice_id = published(store, fair())
    broadcast = store.create_broadcast(notice_id, "staff1")
    started = time.perf_counter()
    assert store.fan_out(broadcast) == 5000
    assert time.perf_counter() - started < 5


def test_a_test_send_goes_to_the_staff_members_own_chat_only(store: NoticeStore) -> None:
    notice_id = published(store, fair(district=None))
    store.subscribe(Subscription("tg:99", "fair"))
    broadcast = store.create_broadcast(notice_id, "staff1", audience={"test_identity": "tg:staff-chat"})
    assert store.fan_out(broadcast) == 1  # no approval needed for a test to oneself
    assert store.report(broadcast) == {"tg": {"pending": 1}}
