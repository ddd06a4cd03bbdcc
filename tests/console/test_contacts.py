"""联系跟进 through the console on SQLite and PostgreSQL: sign-in and CSRF required, district staff
limited to their district (another district's number answers 404 like an unknown one), city staff
choosing a district, the lists masked, and every bad form answered 400 in Chinese with nothing
written."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Dict, List

import pytest

from db.tables import contacts
from ledger.contacts import Attempt, ContactBook, beijing_today, week_end
from tests.console.conftest import Console, graduate
from tests.ledger.test_contacts import imported

NOTE = "母亲说本人在外地实习，电话13912345678"


def seed(console: Console) -> Dict[str, str]:
    ledger = console.ledger
    return {
        "haidian": imported(ledger, "王芳"),
        "markup": imported(ledger, "<b>李</b>雷", school="<img src=x onerror=alert(1)>大学"),
        "chaoyang": imported(ledger, "韩梅梅", district="朝阳区"),
        "chat": graduate(ledger, "wx:g1", "赵敏", "13712345678", "海淀区"),
    }


def form(**changes: Any) -> Dict[str, Any]:
    body: Dict[str, Any] = {"date": beijing_today().isoformat(), "method": "phone", "reached": True, "status": "seeking",
                            "next": "", "note": ""}
    body.update(changes)
    return body


def contact_count(console: Console) -> int:
    with console.ledger.engine.begin() as conn:
        return len(conn.execute(contacts.select()).all())


def test_every_call_needs_a_session_and_recording_needs_the_csrf_token(console: Console) -> None:
    refs = seed(console)
    anonymous = console.client()
    for path in ("/contacts/unreached", "/contacts/due", f"/contacts/graduates/{refs['haidian']}"):
        assert anonymous.get(f"/console/api{path}").status_code == 401
    assert anonymous.post(f"/console/api/contacts/graduates/{refs['haidian']}", json=form()).status_code == 401
    session = console.login("haidian")
    assert session.post(f"/contacts/graduates/{refs['haidian']}", form(), csrf=None).status_code == 403
    assert session.post(f"/contacts/graduates/{refs['haidian']}", form(), csrf="forged").status_code == 403
    sent_as_form = session.client.post(f"/console/api/contacts/graduates/{refs['haidian']}", data={"method": "phone"},
                                       headers={"X-CSRF-Token": session.csrf})
    assert sent_as_form.status_code == 415
    assert contact_count(console) == 0


def test_district_staff_see_their_unreached_graduates_masked(console: Console) -> None:
    refs = seed(console)
    session = console.login("haidian")
    data = session.get("/contacts/unreached").json()
    assert data["district"] == "海淀区" and data["total"] == 2  # the chat registration counts as reached
    rows = {row["ref"]: row for row in data["rows"]}
    assert set(rows) == {refs["haidian"], refs["markup"]}
    assert rows[refs["haidian"]]["name"] == "王*" and rows[refs["haidian"]]["attempts"] == 0
    assert rows[refs["markup"]]["school"] == "<img src=x onerror=alert(1)>大学"  # data; the page shows it as text
    response = session.get("/contacts/unreached", district="朝阳区")  # asking for another district changes nothing
    assert response.json()["district"] == "海淀区" and refs["chaoyang"] not in response.text
    for secret in ("王芳", "韩梅梅", "13712345678"):
        assert secret not in response.text
    assert data["lists"]["no_wish_days"] == 30 and data["lists"]["methods"]["phone"] == "电话"


def test_city_staff_choose_a_district_or_see_all(console: Console) -> None:
    refs = seed(console)
    session = console.login("city1")
    assert session.get("/contacts/unreached").json()["total"] == 3
    chaoyang = session.get("/contacts/unreached", district="朝阳").json()
    assert chaoyang["district"] == "朝阳区" and [row["ref"] for row in chaoyang["rows"]] == [refs["chaoyang"]]
    refused = session.get("/contacts/unreached", district="火星区")
    assert refused.status_code == 400 and refused.json()["error"] == "没有这个区，请从列表中选择"
    assert session.get("/contacts/due", district="火星区").status_code == 400


def test_another_districts_number_is_answered_like_an_unknown_one(console: Console) -> None:
    refs = seed(console)
    session = console.login("haidian")
    unknown = session.get("/contacts/graduates/QZ-NONE-NONE")
    other = session.get(f"/contacts/graduates/{refs['chaoyang']}")
    assert unknown.status_code == other.status_code == 404 and unknown.json() == other.json()
    posted_unknown = session.post("/contacts/graduates/QZ-NONE-NONE", form())
    posted_other = session.post(f"/contacts/graduates/{refs['chaoyang']}", form())
    assert posted_unknown.status_code == posted_other.status_code == 404 and posted_unknown.json() == posted_other.json()
    for odd in ("QZ-%00-X", "QZ-" + "X" * 300, "%F0%9F%98%80"):
        assert session.get(f"/contacts/graduates/{odd}").status_code == 404
        assert session.post(f"/contacts/graduates/{odd}", form()).status_code == 404
    assert contact_count(console) == 0
    city = console.login("city1")
    assert city.get(f"/contacts/graduates/{refs['chaoyang']}").status_code == 200
    assert city.post(f"/contacts/graduates/{refs['chaoyang']}", form()).status_code == 200


def test_recording_an_attempt_shows_in_the_history_and_the_lists(console: Console) -> None:
    refs = seed(console)
    session = console.login("haidian")
    ref = refs["haidian"]
    today = beijing_today()
    assert session.ok(f"/contacts/graduates/{ref.lower()}", form(reached=False, status="", note="无人接听"))["contact"]["reached"] is False
    assert session.get("/contacts/unreached").json()["rows"][-1]["attempts"] == 1  # tried once: after the untried
    saved = session.ok(f"/contacts/graduates/{ref}", form(status="no_wish", note=NOTE))["contact"]
    assert saved["next"] == (today + timedelta(days=30)).isoformat() and saved["status_label"] == "暂无就业意愿"
    shown = session.get(f"/contacts/graduates/{ref}").json()
    assert shown["graduate"]["name"] == "王*" and shown["graduate"]["status"] == "no_wish" and shown["graduate"]["attempts"] == 2
    assert [(c["reached"], c["note"], c["staff"]) for c in shown["history"]] == [(True, NOTE, "haidian"), (False, "无人接听", "haidian")]
    assert ref not in [row["ref"] for row in session.get("/contacts/unreached").json()["rows"]]
    entries = [e for e in console.ledger.audit_entries() if e["action"] == "contact"]
    assert [(e["actor"], e["detail"]["ref"], e["detail"]["method"]) for e in entries] == [("haidian", ref, "phone")] * 2
    assert NOTE not in repr(console.ledger.audit_entries())


def test_due_this_week_is_limited_to_the_district_with_overdue_first(console: Console) -> None:
    refs = seed(console)
    book = ContactBook(console.ledger)
    today = beijing_today()
    back = today - timedelta(days=20)
    book.record(refs["haidian"], Attempt(back, "phone", True, "no_wish", week_end(today)), "x", today=today)
    book.record(refs["markup"], Attempt(back, "visit", True, "no_wish", today - timedelta(days=3)), "x", today=today)
    book.record(refs["chaoyang"], Attempt(back, "phone", True, "no_wish", today - timedelta(days=1)), "x", today=today)
    book.record(refs["chat"], Attempt(back, "phone", True, "no_wish", week_end(today) + timedelta(days=1)), "x", today=today)
    data = console.login("haidian").get("/contacts/due").json()
    assert data["week_end"] == week_end(today).isoformat()
    assert [(row["ref"], row["overdue_days"]) for row in data["rows"]] == [(refs["markup"], 3), (refs["haidian"], 0)]
    assert data["rows"][0]["name"] == "<********" and data["rows"][0]["status_label"] == "暂无就业意愿"
    city = console.login("city1").get("/contacts/due").json()
    assert [row["ref"] for row in city["rows"]] == [refs["markup"], refs["chaoyang"], refs["haidian"]]


@pytest.mark.parametrize("changes, message", [
    ({"method": "email"}, "请选择联系方式"),
    ({"method": ["phone"]}, "请选择联系方式"),
    ({"reached": "yes"}, "请选择是否联系上"),
    ({"reached": None}, "请选择是否联系上"),
    ({"status": ""}, "联系上时，请选择了解到的就业状态"),
    ({"status": "retired"}, "就业状态不对，请从列表中选择"),
    ({"reached": False, "status": "employed"}, "未联系上时不能填写就业状态"),
    ({"date": ""}, "请填写联系日期"),
    ({"date": "2026/12/01"}, "联系日期格式不对（应为 年-月-日）"),
    ({"date": (date.today() + timedelta(days=2)).isoformat()}, "联系日期不能晚于今天"),
    ({"next": "明天"}, "下次跟进日期格式不对（应为 年-月-日）"),
    ({"next": "1990-01-01"}, "下次跟进日期应晚于联系日期"),
    ({"next": "2999-01-01"}, "下次跟进日期不能超过联系日期后一年"),
    ({"note": "长" * 501}, "备注最多 500 个字"),
    ({"note": "a\x00b"}, "备注含有无法识别的字符，请删除后重试"),
    ({"note": 5}, "备注格式不对（应为文字）"),
])
def test_bad_forms_are_answered_400_in_chinese_and_write_nothing(console: Console, changes: Dict[str, Any], message: str) -> None:
    refs = seed(console)
    response = console.login("haidian").post(f"/contacts/graduates/{refs['haidian']}", form(**changes))
    assert (response.status_code, response.json()) == (400, {"error": message})
    assert contact_count(console) == 0
    assert [e for e in console.ledger.audit_entries() if e["action"] == "contact"] == []


def test_a_deleted_registration_is_gone_from_the_lists_and_the_history(console: Console) -> None:
    refs = seed(console)
    session = console.login("haidian")
    session.ok(f"/contacts/graduates/{refs['chat']}", form(note=NOTE))
    console.ledger.delete("wx:g1")
    assert session.get(f"/contacts/graduates/{refs['chat']}").status_code == 404
    gone: List[str] = [row["ref"] for row in session.get("/contacts/unreached").json()["rows"]]
    assert refs["chat"] not in gone
