"""The monthly report (督查通报) through the console on SQLite and PostgreSQL: login required, exact
figures on screen, district staff limited to their district and the city total, bad months refused,
the .xlsx download (small counts hidden, audited)."""
from __future__ import annotations

import io

import openpyxl
import pytest

from ledger.report import COLUMNS, COUNTS, SMALL, TOTAL_LABEL, Month, beijing_today
from ledger.store import Ledger
from tests.console.conftest import Console
from tests.ledger.test_report import SEPTEMBER, seed_city

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def city(console: Console) -> Ledger:
    return seed_city(console.ledger)


def test_the_report_needs_a_login(console: Console, city: Ledger) -> None:
    client = console.client()
    for path in ("/console/api/report?month=2022-09", "/console/api/report.xlsx?month=2022-09"):
        response = client.get(path)
        assert response.status_code == 401 and response.json() == {"error": "请先登录"}
    assert console.login("city1").post("/report", {}).status_code == 405


def test_city_staff_see_every_district_with_exact_counts_furthest_behind_first(console: Console, city: Ledger) -> None:
    data = console.login("city1").get("/report", month="2022-09").json()
    assert data["month"] == "2022-09" and data["previous"] == "2022-08" and data["as_of"] == "2022-09-30"
    assert [row["label"] for row in data["rows"]] == ["朝阳区", "海淀区", "丰台区"] and [row["rank"] for row in data["rows"]] == [1, 2, 3]
    rows = {row["label"]: row for row in [*data["rows"], data["total"]]}
    for label, expected in SEPTEMBER.items():  # on screen: exact, small counts included
        assert [rows[label]["current"][key] for key in data["counts"]] == expected, label
    assert rows["海淀区"]["current"]["share_served"] == 0.5 and rows["海淀区"]["change"]["served"] == 2
    assert rows[TOTAL_LABEL]["change"]["reached"] == 2 and rows[TOTAL_LABEL]["previous"]["listed"] == 9
    assert data["trend"]["months"] == ["2022-07", "2022-08", "2022-09"]
    assert [series["label"] for series in data["trend"]["series"]] == ["朝阳区", "海淀区", "丰台区", TOTAL_LABEL]
    haidian = data["trend"]["series"][1]
    assert haidian["share_reached"] == [0.0, 0.8, 0.8] and haidian["share_served"] == [0.0, 0.0, 0.5]


def test_district_staff_see_their_district_and_the_city_total_only(console: Console, city: Ledger) -> None:
    response = console.login("haidian").get("/report", month="2022-09")
    data = response.json()
    assert [row["label"] for row in data["rows"]] == ["海淀区"] and data["rows"][0]["rank"] == 2 and data["districts"] == 3
    assert data["total"]["current"]["listed"] == 10 and data["scope"] == "海淀区"
    assert [series["label"] for series in data["trend"]["series"]] == ["海淀区", TOTAL_LABEL]
    assert "朝阳区" not in response.text and "丰台区" not in response.text
    assert [row["label"] for row in console.login("chaoyang").get("/report", month="2022-09").json()["rows"]] == ["朝阳区"]


def test_the_month_is_checked(console: Console, city: Ledger) -> None:
    session = console.login("city1")
    for month in ("2022-13", "2022/09", "九月", "2022-9"):
        response = session.get("/report", month=month)
        assert response.status_code == 400 and "2022-09" in response.json()["error"], month
        assert session.get("/report.xlsx", month=month).status_code == 400
    assert session.get("/report", month="2099-01").json() == {"error": "2099年1月还没有开始"}
    today = session.get("/report").json()  # no month: the current one, so far
    assert today["month"] == str(Month.containing(beijing_today())) and today["total"]["current"]["listed"] == 10
    assert [e for e in console.ledger.audit_entries() if e["action"] == "report_export"] == []


def test_the_xlsx_download_hides_small_counts_is_scoped_and_audited(console: Console, city: Ledger) -> None:
    response = console.login("haidian").get("/report.xlsx", month="2022-09")
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == 'attachment; filename="report-2022-09.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["月度通报"]
    rows = {row[1].value: [cell.value for cell in row] for row in sheet.iter_rows(min_row=6)}
    assert list(rows) == ["海淀区", TOTAL_LABEL]
    counts = [value for key, value in zip(COLUMNS, rows["海淀区"][2:]) if key in COUNTS]
    assert SMALL in counts and not [value for value in counts if isinstance(value, int) and 1 <= value <= 4]
    assert "范围：海淀区" in sheet["A2"].value
    [entry] = [e for e in console.ledger.audit_entries() if e["action"] == "report_export"]
    assert entry["actor"] == "haidian" and entry["detail"] == {"month": "2022-09", "district": "海淀区", "via": "console"}
    city_file = console.login("city1").get("/report.xlsx", month="2022-09")
    city_rows = [row[1].value for row in openpyxl.load_workbook(io.BytesIO(city_file.content))["月度通报"].iter_rows(min_row=6)]
    assert city_rows == ["朝阳区", "海淀区", "丰台区", TOTAL_LABEL]
