"""Notices and broadcasts through the console's API on SQLite and PostgreSQL: publishing within
one's district, the audience count, the test to oneself, the second person for city-wide
broadcasts, scheduling, progress, the report and cancelling — each audited."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from db.tables import deliveries, notices
from ledger.export import BEIJING
from tests.console.conftest import Console, fair, graduate, subscribe


def actions(console: Console, action: str) -> list:
    return [e for e in console.ledger.audit_entries() if e["action"] == action]


def set_statuses(console: Console, broadcast_id: int, statuses: dict) -> None:
    """What the push worker would do: {identity: status}."""
    with console.ledger.engine.begin() as conn:
        for identity, status in statuses.items():
            conn.execute(update(deliveries).where((deliveries.c.broadcast_id == broadcast_id) & (deliveries.c.identity == identity))
                         .values(status=status))


def test_a_published_notice_shows_its_audience_count(console: Console) -> None:
    for identity, districts in (("tg:1", ["海淀区"]), ("tg:2", []), ("wx:o3", ["朝阳区"]), ("tg:4", ["海淀区"])):
        subscribe(console.notices, identity, "fair", districts)
    console.notices.mark_inactive("tg:4", "blocked")
    session = console.login("haidian")
    notice_id = session.ok("/notices", fair())["id"]
    shown = session.get(f"/notices/{notice_id}").json()
    assert shown["audience"] == 2 == console.notices.audience_count(notice_id)  # tg:1 and tg:2
    assert shown["notice"]["status"] == "published" and shown["notice"]["district"] == "海淀区"
    assert shown["notice"]["place"] == "海淀区某会展中心（示例）" and shown["notice"]["created_by"] == "haidian"
    assert actions(console, "notice_publish")[0]["actor"] == "haidian"


def test_job_postings_count_registered_graduates_who_asked_for_recommendations(console: Console) -> None:
    graduate(console.ledger, "wx:g1", "王芳", "13912345678", "海淀区")
    graduate(console.ledger, "wx:g2", "李雷", "13812345678", "朝阳区")
    session = console.login("city1")
    job = session.ok("/notices", {"kind": "job", "title": "会计助理", "body": "某公司招聘会计助理。", "district": "海淀区",
                                  "valid_from": fair()["valid_from"], "valid_until": fair()["valid_until"]})["id"]
    assert session.get(f"/notices/{job}").json()["audience"] == 1


def test_district_staff_cannot_publish_city_wide_or_for_another_district(console: Console) -> None:
    session = console.login("haidian")
    for district in ("", "朝阳区"):
        refused = session.post("/notices", fair(district=district))
        assert refused.status_code == 403 and "本区" in refused.json()["error"]
    with console.ledger.engine.begin() as conn:
        assert conn.execute(select(notices.c.id)).all() == []
    city_notice = console.login("city1").ok("/notices", fair(district=None, title="全市线上招聘会"))["id"]
    assert session.get(f"/notices/{city_notice}").status_code == 404
    assert session.get("/notices").json()["notices"] == []
    assert session.post(f"/notices/{city_notice}/broadcasts", {"mode": "now"}).status_code == 404


def test_bad_notices_are_refused_with_the_reason(console: Console) -> None:
    session = console.login("city1")
    cases = [
        (fair(place="", online_link=""), "地点或线上链接"),
        (fair(online_link="javascript:alert(1)"), "http"),
        (fair(kind="rumour"), "类别"),
        (fair(title=""), "标题"),
        (fair(valid_until=fair()["valid_from"], valid_from=fair()["valid_until"]), "早于"),
        (fair(district="火星区"), "区域"),
    ]
    for body, reason in cases:
        response = session.post("/notices", body)
        assert response.status_code == 400 and reason in response.json()["error"], (body, response.text)


def test_a_test_send_makes_one_delivery_to_the_staff_members_own_chat(console: Console) -> None:
    for n in range(3):
        subscribe(console.notices, f"tg:{n}")
    session = console.login("city1")
    notice_id = session.ok("/notices", fair(district=None))["id"]  # city-wide: a test still needs no approval
    sent = session.ok(f"/notices/{notice_id}/broadcasts", {"mode": "test"})
    assert sent["status"] == "ready"
    assert console.notices.fan_out(sent["id"]) == 1
    with console.ledger.engine.begin() as conn:
        rows = conn.execute(select(deliveries.c.identity, deliveries.c.purpose).where(deliveries.c.broadcast_id == sent["id"])).all()
    assert [tuple(r) for r in rows] == [("tg:9001", "test")]
    assert actions(console, "broadcast")[0]["detail"]["mode"] == "test"
    no_identity = console.login("city2").post(f"/notices/{notice_id}/broadcasts", {"mode": "test"})
    assert no_identity.status_code == 400


def test_a_city_wide_broadcast_waits_for_a_second_city_staff_member(console: Console) -> None:
    subscribe(console.notices, "tg:1")
    first, second, district = console.login("city1"), console.login("city2"), console.login("haidian")
    notice_id = first.ok("/notices", fair(district=None, title="全市线上招聘会"))["id"]
    broadcast = first.ok(f"/notices/{notice_id}/broadcasts", {"mode": "now"})
    assert broadcast["status"] == "pending_approval"
    pending = second.get("/broadcasts", status="pending_approval").json()["broadcasts"]
    assert [(b["id"], b["created_by"]) for b in pending] == [(broadcast["id"], "city1")]
    same = first.post(f"/broadcasts/{broadcast['id']}/approve")
    assert same.status_code == 409 and "另一位" in same.json()["error"]
    assert district.post(f"/broadcasts/{broadcast['id']}/approve").status_code == 403
    assert first.get(f"/broadcasts/{broadcast['id']}").json()["broadcast"]["status"] == "pending_approval"
    assert second.ok(f"/broadcasts/{broadcast['id']}/approve")["status"] == "ready"
    shown = first.get(f"/broadcasts/{broadcast['id']}").json()["broadcast"]
    assert shown["approved_by"] == "city2" and shown["status"] == "ready"
    assert [(e["actor"], e["detail"]["broadcast_id"]) for e in actions(console, "broadcast_approve")] == [("city2", broadcast["id"])]
    assert second.post(f"/broadcasts/{broadcast['id']}/approve").status_code == 409  # only once


def test_a_district_broadcast_is_ready_at_once_and_a_second_send_is_refused(console: Console) -> None:
    session = console.login("haidian")
    notice_id = session.ok("/notices", fair())["id"]
    first = session.ok(f"/notices/{notice_id}/broadcasts", {"mode": "now"})
    assert first["status"] == "ready"
    again = session.post(f"/notices/{notice_id}/broadcasts", {"mode": "now"})
    assert again.status_code == 409
    session.ok(f"/broadcasts/{first['id']}/cancel")
    assert session.ok(f"/notices/{notice_id}/broadcasts", {"mode": "now"})["status"] == "ready"  # after a cancel, allowed


def test_a_broadcast_can_be_scheduled_for_a_later_beijing_time(console: Console) -> None:
    session = console.login("haidian")
    notice_id = session.ok("/notices", fair())["id"]
    past = session.post(f"/notices/{notice_id}/broadcasts", {"mode": "schedule", "scheduled_at": "2020-01-01T09:00"})
    assert past.status_code == 400
    later = (datetime.now(BEIJING) + timedelta(days=1)).replace(hour=9, minute=30, second=0, microsecond=0)
    scheduled = session.ok(f"/notices/{notice_id}/broadcasts", {"mode": "schedule", "scheduled_at": later.strftime("%Y-%m-%dT%H:%M")})
    assert scheduled["status"] == "scheduled"
    shown = session.get(f"/broadcasts/{scheduled['id']}").json()["broadcast"]
    assert shown["scheduled_at"] == later.strftime("%Y-%m-%d %H:%M")  # stored in UTC, shown in Beijing time
    assert actions(console, "broadcast")[0]["detail"]["mode"] == "schedule"


def test_progress_and_report_count_deliveries_by_status_and_channel(console: Console) -> None:
    for identity in ("tg:1", "tg:2", "tg:3", "wx:o4", "wx:o5"):
        subscribe(console.notices, identity)
    session = console.login("haidian")
    notice_id = session.ok("/notices", fair())["id"]
    broadcast_id = session.ok(f"/notices/{notice_id}/broadcasts", {"mode": "now"})["id"]
    waiting = session.get(f"/broadcasts/{broadcast_id}").json()
    assert waiting["counts"] == {} and not waiting["finished"]
    assert console.notices.fan_out(broadcast_id) == 5
    set_statuses(console, broadcast_id, {"tg:1": "sent", "tg:2": "sent", "wx:o4": "failed"})
    running = session.get(f"/broadcasts/{broadcast_id}").json()
    assert running["broadcast"]["total"] == 5 and running["broadcast"]["status"] == "running"
    assert running["counts"] == {"sent": 2, "failed": 1, "pending": 2} and not running["finished"]
    set_statuses(console, broadcast_id, {"tg:3": "blocked", "wx:o5": "skipped"})
    done = session.get(f"/broadcasts/{broadcast_id}").json()
    assert done["finished"]
    assert done["report"] == {"tg": {"sent": 2, "blocked": 1}, "wx": {"failed": 1, "skipped": 1}}
    assert session.post(f"/broadcasts/{broadcast_id}/cancel").status_code == 409  # nothing left to cancel


def test_cancel_skips_what_is_still_pending_and_is_audited(console: Console) -> None:
    for n in range(4):
        subscribe(console.notices, f"tg:{n}")
    session = console.login("haidian")
    notice_id = session.ok("/notices", fair())["id"]
    broadcast_id = session.ok(f"/notices/{notice_id}/broadcasts", {"mode": "now"})["id"]
    console.notices.fan_out(broadcast_id)
    set_statuses(console, broadcast_id, {"tg:0": "sent"})
    assert console.login("chaoyang").post(f"/broadcasts/{broadcast_id}/cancel").status_code == 404  # not their district
    assert session.ok(f"/broadcasts/{broadcast_id}/cancel")["skipped"] == 3
    after = session.get(f"/broadcasts/{broadcast_id}").json()
    assert after["broadcast"]["status"] == "cancelled" and after["finished"]
    assert after["counts"] == {"sent": 1, "skipped": 3}
    assert session.post(f"/broadcasts/{broadcast_id}/cancel").status_code == 409
    [entry] = actions(console, "broadcast_cancel")
    assert entry["actor"] == "haidian" and entry["detail"]["skipped"] == 3


def test_district_staff_list_only_their_districts_broadcasts(console: Console) -> None:
    haidian, chaoyang = console.login("haidian"), console.login("chaoyang")
    mine = haidian.ok("/notices", fair())["id"]
    theirs = chaoyang.ok("/notices", fair(district="朝阳区", title="朝阳专场"))["id"]
    haidian.ok(f"/notices/{mine}/broadcasts", {"mode": "now"})
    chaoyang.ok(f"/notices/{theirs}/broadcasts", {"mode": "now"})
    assert [b["title"] for b in haidian.get("/broadcasts").json()["broadcasts"]] == ["海淀区高校毕业生专场招聘会"]
    assert [n["title"] for n in chaoyang.get("/notices").json()["notices"]] == ["朝阳专场"]
    assert len(console.login("city1").get("/broadcasts").json()["broadcasts"]) == 2


def test_withdrawing_a_notice_stops_its_broadcasts_under_way(console: Console) -> None:
    for n in range(2):
        subscribe(console.notices, f"tg:{n}")
    session = console.login("haidian")
    notice_id = session.ok("/notices", fair())["id"]
    running = session.ok(f"/notices/{notice_id}/broadcasts", {"mode": "now"})["id"]
    console.notices.fan_out(running)
    test = session.ok(f"/notices/{notice_id}/broadcasts", {"mode": "test"})["id"]
    assert session.ok(f"/notices/{notice_id}/withdraw")["cancelled"] == [test, running]
    assert session.get(f"/broadcasts/{running}").json()["counts"] == {"skipped": 2}
    assert session.get(f"/notices/{notice_id}").json()["notice"]["status"] == "withdrawn"
    assert session.post(f"/notices/{notice_id}/broadcasts", {"mode": "now"}).status_code == 409
    assert [e["detail"]["broadcast_id"] for e in actions(console, "broadcast_cancel")] == [test, running]
    assert actions(console, "notice_withdraw")[0]["detail"]["cancelled_broadcasts"] == [test, running]
