"""名单导入 through the console API on SQLite and PostgreSQL: login and CSRF required, a bad file
refused with what to fix, the 10 MB limit, the preview masked and exact, the confirm writing what
the preview showed (once), district staff limited to their district's rows, recent batches."""
from __future__ import annotations

from typing import Any, Dict, Optional

from sqlalchemy import func, select

from console.import_api import MAX_FILE
from db.tables import registrations
from tests.console.conftest import Console, Session, graduate
from tests.ledger.test_import import csv_bytes, id_number, phone, row, xlsx_bytes


def upload(session: Session, data: bytes, name: Optional[str] = "名单.csv", csrf: Optional[str] = "ours") -> Any:
    headers = {"Content-Type": "application/octet-stream"}
    if csrf is not None:
        headers["X-CSRF-Token"] = session.csrf if csrf == "ours" else csrf
    params = {} if name is None else {"name": name}
    return session.client.post("/console/api/import/preview", content=data, params=params, headers=headers)


def previewed(session: Session, data: bytes, name: str = "名单.csv") -> Dict[str, Any]:
    response = upload(session, data, name)
    assert response.status_code == 200, response.text
    return dict(response.json())


def registrations_count(console: Console) -> int:
    with console.ledger.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(registrations)).scalar() or 0)


def test_upload_needs_a_login_and_the_csrf_token(console: Console) -> None:
    anonymous = console.client().post("/console/api/import/preview", params={"name": "a.csv"}, content=csv_bytes([row(1)]))
    assert anonymous.status_code == 401
    session = console.login("city1")
    assert upload(session, csv_bytes([row(1)]), csrf=None).status_code == 403
    assert upload(session, csv_bytes([row(1)]), csrf="forged").status_code == 403
    assert console.client().get("/console/api/import/batches").status_code == 401
    token = previewed(session, csv_bytes([row(1)]))["token"]
    assert session.post("/import/confirm", {"token": token}, csrf=None).status_code == 403
    assert registrations_count(console) == 0


def test_preview_then_confirm_writes_what_was_shown_once(console: Console) -> None:
    ref = graduate(console.ledger, "wx:g5", "王五", phone(5), "海淀区")
    session = console.login("city1")
    data = csv_bytes([row(1, name="王芳"), row(2), row(2), row(3, id="123"), row(5)])
    shown = previewed(session, data)
    assert shown["counts"] == {"total": 5, "added": 2, "matched": 1, "repeated": 1, "rejected": 1}
    assert shown["rejected"] == [{"line": 5, "reason": "身份证号应为18位（前17位数字，最后一位数字或X）",
                                  "text": "第5行：身份证号应为18位（前17位数字，最后一位数字或X）"}]
    assert shown["repeated"][0]["text"] == "第4行：与第3行重复"
    assert shown["matched"][0] == {"line": 6, "name": mask(row(5)[0]), "registered": True, "ref": ref, "district": "海淀区",
                                   "fills": ["身份证号"]}
    assert shown["sample"][0]["name"] == "王*" and shown["sample"][0]["phone"] == "139****0001"
    assert "不改动已有内容" in shown["note"]
    response_text = upload(session, data).text
    for secret in ("王芳", phone(1), id_number(1)):
        assert secret not in response_text  # masked
    assert registrations_count(console) == 1

    done = session.ok("/import/confirm", {"token": shown["token"]})
    assert done["counts"] == shown["counts"]
    assert registrations_count(console) == 3
    assert session.post("/import/confirm", {"token": shown["token"]}).status_code == 410  # once only
    batches = session.get("/import/batches").json()["batches"]
    assert batches[0]["id"] == done["batch"] and (batches[0]["added"], batches[0]["matched"], batches[0]["repeated"]) == (2, 1, 1)
    actions = [e["action"] for e in console.ledger.audit_entries()]
    assert actions.count("import_preview") == 2 and actions.count("import") == 1


def mask(name: str) -> str:
    return name[0] + "*" * (len(name) - 1)


def test_confirm_refuses_when_the_ledger_changed_and_writes_nothing(console: Console) -> None:
    session = console.login("city1")
    shown = previewed(session, csv_bytes([row(1), row(2)]))
    graduate(console.ledger, "wx:g2", "乙", phone(2), "海淀区")
    response = session.post("/import/confirm", {"token": shown["token"]})
    assert response.status_code == 409 and "请重新上传" in response.json()["error"]
    assert registrations_count(console) == 1


def test_another_staff_members_token_is_refused(console: Console) -> None:
    token = previewed(console.login("city1"), csv_bytes([row(1)]))["token"]
    assert console.login("city2").post("/import/confirm", {"token": token}).status_code == 410
    assert console.login("city1").post("/import/confirm", {"token": "guessed"}).status_code == 410


def test_district_staff_import_only_their_district(console: Console) -> None:
    graduate(console.ledger, "wx:g5", "王五", phone(5), "朝阳区")
    session = console.login("haidian")
    shown = previewed(session, csv_bytes([row(1), row(2, district="朝阳区"), row(3, district=""), row(5)]))
    assert shown["counts"]["added"] == 2 and shown["district"] == "海淀区"
    assert shown["rejected"][0]["text"] == "第3行：户籍区为朝阳区，不属于本区（海淀区）的名单"
    assert shown["matched"][0]["ref"] is None  # a record of another district: matched, its number not shown
    session.ok("/import/confirm", {"token": shown["token"]})
    with console.ledger.engine.connect() as conn:
        districts = sorted(conn.execute(select(registrations.c.district).where(registrations.c.source == "import")).scalars())
    assert districts == ["朝阳区", "海淀区", "海淀区"]  # the matched 朝阳区 record keeps its district
    assert len(session.get("/import/batches").json()["batches"]) == 1
    assert console.login("chaoyang").get("/import/batches").json()["batches"] == []
    assert len(console.login("city1").get("/import/batches").json()["batches"]) == 1


def test_bad_files_are_refused_with_what_to_fix(console: Console) -> None:
    session = console.login("city1")
    cases = [
        (b"", "名单.csv", "文件是空的"),
        (b"%PDF-1.4", "名单.pdf", "不支持的文件格式（.pdf）"),
        (b"garbage", "名单.xlsx", "不是有效的 .xlsx 文件"),
        ("姓名,学校\n王芳,北京某大学\n".encode(), "名单.csv", "缺少必需的列：身份证号或手机号"),
    ]
    for data, name, message in cases:
        response = upload(session, data, name)
        assert response.status_code == 400 and message in response.json()["error"], (name, response.text)
    assert upload(session, csv_bytes([row(1)]), name=None).status_code == 400
    assert upload(session, csv_bytes([row(1)]), name="x" * 201 + ".csv").status_code == 400
    assert registrations_count(console) == 0


def test_files_over_10_mb_are_refused(console: Console) -> None:
    session = console.login("city1")
    response = upload(session, b"a" * (MAX_FILE + 1))
    assert response.status_code == 413 and "10 MB" in response.json()["error"]


def test_xlsx_upload(console: Console) -> None:
    session = console.login("city1")
    shown = previewed(session, xlsx_bytes([row(1), row(2)], title="2022届名单"), "名单.xlsx")
    assert shown["counts"]["added"] == 2 and shown["sample"][0]["line"] == 4
