"""The registration ledger through the console on SQLite and PostgreSQL: district-scoped,
masked, follow-up status and recording, and the masked, audited export."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.console.conftest import Console, graduate

ID_NUMBER = "11010820020101123X"


def seed(console: Console) -> dict:
    return {
        "haidian": graduate(console.ledger, "wx:g1", "王芳", "13912345678", "海淀区", id_number=ID_NUMBER),
        "markup": graduate(console.ledger, "tg:g2", "<b>李</b>雷", "13812345678", "海淀区", school="<img src=x onerror=alert(1)>大学"),
        "chaoyang": graduate(console.ledger, "wx:g3", "韩梅梅", "13712345678", "朝阳区"),
    }


def test_district_staff_see_only_their_districts_registrations(console: Console) -> None:
    refs = seed(console)
    session = console.login("haidian")
    shown = session.get("/ledger").json()
    assert sorted(row["ref"] for row in shown["rows"]) == sorted([refs["haidian"], refs["markup"]])
    assert shown["total"] == 2 and "登记人数: 2" in shown["summary"]
    asked_for_other = session.get("/ledger", district="朝阳区").json()  # the district filter is theirs, whatever they ask
    assert {row["district"] for row in asked_for_other["rows"]} == {"海淀区"}
    city = console.login("city1").get("/ledger").json()
    assert city["total"] == 3
    assert [row["ref"] for row in console.login("city1").get("/ledger", district="朝阳区").json()["rows"]] == [refs["chaoyang"]]


def test_names_and_phones_are_masked_and_markup_comes_back_as_plain_text(console: Console) -> None:
    refs = seed(console)
    response = console.login("city1").get("/ledger")
    rows = {row["ref"]: row for row in response.json()["rows"]}
    assert rows[refs["haidian"]]["name"] == "王*" and rows[refs["haidian"]]["phone"] == "139****5678"
    for secret in ("13912345678", "王芳", ID_NUMBER, "韩梅梅"):
        assert secret not in response.text
    assert rows[refs["markup"]]["school"] == "<img src=x onerror=alert(1)>大学"  # data; the page shows it with textContent
    assert response.headers["content-type"].startswith("application/json")


def test_each_graduate_shows_the_services_still_owed_and_a_follow_up_changes_it(console: Console) -> None:
    refs = seed(console)
    session = console.login("haidian")
    before = {row["ref"]: row for row in session.get("/ledger").json()["rows"]}[refs["haidian"]]
    assert before["owed"] == ["职业指导 0/1", "岗位推介 0/3", "技能培训/就业见习 0/1"] and before["received"] == []
    assert session.ok(f"/ledger/{refs['haidian']}/follow-ups", {"kind": "guidance", "date": "2025-07-01", "note": "电话指导"}) == {"ok": True}
    after = {row["ref"]: row for row in session.get("/ledger").json()["rows"]}[refs["haidian"]]
    assert after["received"] == ["职业指导 1"] and "职业指导 0/1" not in after["owed"]
    [entry] = [e for e in console.ledger.audit_entries() if e["action"] == "follow_up"]
    assert entry["actor"] == "haidian" and entry["detail"] == {"ref": refs["haidian"], "kind": "guidance", "date": "2025-07-01"}
    assert session.get("/ledger", owed="1").json()["total"] == 2  # both still owed something


def test_follow_ups_are_checked_and_limited_to_the_district(console: Console) -> None:
    refs = seed(console)
    session = console.login("haidian")
    assert session.post(f"/ledger/{refs['chaoyang']}/follow-ups", {"kind": "guidance", "date": "2025-07-01"}).status_code == 404
    assert session.post(f"/ledger/{refs['haidian']}/follow-ups", {"kind": "massage", "date": "2025-07-01"}).status_code == 400
    assert session.post(f"/ledger/{refs['haidian']}/follow-ups", {"kind": "guidance", "date": "2999-01-01"}).status_code == 400
    assert session.post(f"/ledger/{refs['haidian']}/follow-ups", {"kind": "guidance", "date": "07/01"}).status_code == 400
    assert session.post("/ledger/QZ-NONE-NONE/follow-ups", {"kind": "guidance", "date": "2025-07-01"}).status_code == 404
    for odd in ("QZ-%00-X", "QZ-" + "X" * 300):  # a NUL (PostgreSQL refuses it) or too long: unknown, not a 500
        assert session.post(f"/ledger/{odd}/follow-ups", {"kind": "guidance", "date": "2025-07-01"}).status_code == 404
    assert [e for e in console.ledger.audit_entries() if e["action"] == "follow_up"] == []


def test_a_district_export_is_masked_limited_to_the_district_and_audited(console: Console) -> None:
    refs = seed(console)
    session = console.login("haidian")
    response = session.post("/export", {"format": "csv", "filters": {"district": "朝阳区"}})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(row["登记编号"] for row in rows) == sorted([refs["haidian"], refs["markup"]])
    wang = next(row for row in rows if row["登记编号"] == refs["haidian"])
    assert wang["手机号"] == "139****5678" and wang["身份证号"] == "1101**********123X"
    assert "13912345678" not in response.text and ID_NUMBER not in response.text
    [entry] = [e for e in console.ledger.audit_entries() if e["action"] == "export"]
    assert entry["actor"] == "haidian" and entry["detail"]["rows"] == 2 and entry["detail"]["reveal"] is False
    assert entry["detail"]["filters"] == {"district": "海淀区"}


def test_a_city_export_as_xlsx_with_filters(console: Console) -> None:
    seed(console)
    session = console.login("city1")
    response = session.post("/export", {"format": "xlsx", "filters": {"district": "朝阳区", "status": "未就业"}})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["137****5678"]
    assert session.post("/export", {"format": "pdf"}).status_code == 400
    assert session.post("/export", {"format": "csv", "filters": {"status": "失业"}}).status_code == 400
    assert [e["detail"]["format"] for e in console.ledger.audit_entries() if e["action"] == "export"] == ["xlsx"]
