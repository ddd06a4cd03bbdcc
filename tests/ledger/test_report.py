"""The monthly report (督查通报) on SQLite and PostgreSQL, against a fixture whose figures are worked
out by hand below: graduates on the list, reached, registered, by status, services against the
promise, families in difficulty, month-on-month change, the order (furthest behind first), small
counts hidden in the .xlsx (read back), the district's view and bad months."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Optional, Tuple

import openpyxl
import pytest
from sqlalchemy import update

from db.tables import contacts, registrations
from ledger.model import Registration
from ledger.report import (
    COLUMNS, COUNTS, SMALL, TOTAL_LABEL, WITHHELD, Figures, Month, ReportError, build, equations,
    export_xlsx, public, public_scoped, suppress, table_headers,
)
from ledger.store import Ledger, new_ref
from tests.ledger.test_followup import cli_env, run_cli

AUG, SEP = Month(2022, 8), Month(2022, 9)
BEFORE = datetime(2022, 7, 20, 2, 0, tzinfo=timezone.utc)
COUNT_KEYS = list(COUNTS)


# ---- the fixture -------------------------------------------------------------------------------

def imported(ledger: Ledger, district: str, created: datetime, difficulty: bool = False,
             deleted: Optional[datetime] = None) -> Tuple[int, str]:
    """A graduate handed over on the list (source import, no channel identity)."""
    ref = new_ref()
    with ledger.engine.begin() as conn:
        reg_id = conn.execute(registrations.insert().values(
            ref=ref, channel="import", identity=None, district=district, grad_year=2022, degree="本科",
            difficulty=difficulty, created_at=created, updated_at=created, deleted_at=deleted, source="import",
        )).inserted_primary_key[0]
    return int(reg_id), ref


def chatted(ledger: Ledger, identity: str, phone: str, district: str, status: str, consented: datetime) -> Tuple[int, str]:
    """A graduate who registered in chat (through the ledger), dated `consented`."""
    ref = ledger.save(identity, Registration(name="王芳", phone=phone, district=district, status=status, degree="本科",
                                             grad_year=2022, services=["recommendation"])).ref
    with ledger.engine.begin() as conn:
        conn.execute(update(registrations).where(registrations.c.ref == ref).values(created_at=consented, consented_at=consented))
        reg_id = conn.execute(registrations.select().where(registrations.c.ref == ref)).first().id
    return int(reg_id), ref


def contact(ledger: Ledger, reg_id: int, day: date, reached: bool, status: Optional[str] = None, method: str = "phone") -> None:
    with ledger.engine.begin() as conn:
        conn.execute(contacts.insert().values(registration_id=reg_id, contact_date=day, method=method, reached=reached,
                                              status=status, staff="张老师", created_at=datetime.now(timezone.utc)))


def serve(ledger: Ledger, ref: str, kind: str, *days: date) -> None:
    for day in days:
        ledger.add_follow_up(ref, kind, day, None, "张老师")


def d(month: int, day: int) -> date:
    return date(2022, month, day)


@pytest.fixture
def city(ledger: Ledger) -> Ledger:
    return seed_city(ledger)


def seed_city(ledger: Ledger) -> Ledger:
    """Twelve graduates (two deleted) in 海淀区 (H), 朝阳区 (C) and 丰台区 (F), August and September 2022."""
    # H1: reached in August, seeking; guidance + 2 recommendations in August, the 3rd and a training in September
    h1, ref = imported(ledger, "海淀区", BEFORE)
    contact(ledger, h1, d(8, 5), True, "seeking")
    serve(ledger, ref, "guidance", d(8, 10))
    serve(ledger, ref, "recommendation", d(8, 12), d(8, 20), d(9, 3))
    serve(ledger, ref, "training", d(9, 10))
    # H2: 困难家庭; not reached in August (no status), reached in September, 2 recommendations (a 3rd in October)
    h2, ref = imported(ledger, "海淀区", BEFORE, difficulty=True)
    contact(ledger, h2, d(8, 6), False)
    contact(ledger, h2, d(9, 2), True, "seeking", method="visit")
    serve(ledger, ref, "recommendation", d(9, 5), d(9, 6), d(10, 2))
    # H3: employed since August; the October status (study) is after both months
    h3, _ = imported(ledger, "海淀区", BEFORE)
    contact(ledger, h3, d(8, 15), True, "employed")
    contact(ledger, h3, d(10, 5), True, "study")
    # H4: registered in chat on 25 August (未就业); served in full in September
    _, ref = chatted(ledger, "tg:h4", "13912345678", "海淀区", "未就业", datetime(2022, 8, 25, 4, 0, tzinfo=timezone.utc))
    serve(ledger, ref, "guidance", d(9, 1))
    serve(ledger, ref, "recommendation", d(9, 2), d(9, 3), d(9, 4))
    serve(ledger, ref, "traineeship", d(9, 20))
    # H5: on the list from 1 September 01:00 Beijing time (31 August 17:00 UTC): not in August's report
    imported(ledger, "海淀区", datetime(2022, 8, 31, 17, 0, tzinfo=timezone.utc))
    # H6: no wish to work (August); registration deleted on 15 September: on August's list only
    h6, _ = imported(ledger, "海淀区", BEFORE, deleted=datetime(2022, 9, 15, 3, 0, tzinfo=timezone.utc))
    contact(ledger, h6, d(8, 20), True, "no_wish")
    # H7: deleted in July: on no list
    imported(ledger, "海淀区", BEFORE, deleted=datetime(2022, 7, 30, 3, 0, tzinfo=timezone.utc))
    # C1: on the list from 10 August; in September data matching finds them employed (not reached)
    c1, _ = imported(ledger, "朝阳区", datetime(2022, 8, 10, 1, 0, tzinfo=timezone.utc))
    contact(ledger, c1, d(9, 12), False, "employed", method="data")
    # C2: 困难家庭, never contacted
    imported(ledger, "朝阳区", datetime(2022, 8, 10, 1, 0, tzinfo=timezone.utc), difficulty=True)
    # C3: registered in chat on 5 September as employed; a contact on 20 September learns start-up
    c3, _ = chatted(ledger, "wx:c3", "13812345678", "朝阳区", "已就业", datetime(2022, 9, 5, 2, 0, tzinfo=timezone.utc))
    contact(ledger, c3, d(9, 20), True, "startup")
    # F1: further study, reached in August
    f1, _ = imported(ledger, "丰台区", BEFORE)
    contact(ledger, f1, d(8, 1), True, "study")
    # F2: reached on 30 September, served in full that day
    f2, ref = imported(ledger, "丰台区", BEFORE)
    contact(ledger, f2, d(9, 30), True, "seeking")
    serve(ledger, ref, "guidance", d(9, 30))
    serve(ledger, ref, "recommendation", d(9, 30), d(9, 30), d(9, 30))
    serve(ledger, ref, "traineeship", d(9, 30))
    return ledger


# The figures, worked out by hand from the fixture above (columns in the order of COUNTS:
# listed, reached, registered, employed, seeking, study, no_wish, startup, unknown, owed,
# guidance, recommendations, training, served, difficulty, difficulty_short).
AUGUST = {
    # H1 H2 H3 H4 H6 on the list; reached H1 H3 H4 H6; owed H1 H4 (seeking) H2 (unknown); H1 has guidance only
    "海淀区": [5, 4, 1, 1, 2, 0, 1, 0, 1, 3, 1, 0, 0, 0, 1, 1],
    # C1 C2, neither reached, both owed
    "朝阳区": [2, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 1],
    # F1 study (reached), F2 unknown (owed)
    "丰台区": [2, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0],
    TOTAL_LABEL: [9, 5, 1, 1, 2, 1, 1, 0, 4, 6, 1, 0, 0, 0, 2, 2],
}
SEPTEMBER = {
    # H1 H2 H3 H4 H5; reached H1 H2 H3 H4; owed H1 H2 H4 (seeking) H5 (unknown); H1 H4 served; H2 short (2 < 3)
    "海淀区": [5, 4, 1, 1, 3, 0, 0, 0, 1, 4, 2, 2, 2, 2, 1, 1],
    # C1 employed (not reached), C2 unknown (owed, short), C3 start-up (reached, registered)
    "朝阳区": [3, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1],
    # F1 study, F2 seeking and served
    "丰台区": [2, 2, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0],
    TOTAL_LABEL: [10, 7, 2, 2, 4, 1, 0, 1, 2, 6, 3, 3, 3, 3, 2, 2],
}


def counts_of(row: Figures) -> list:
    return [row[key] for key in COUNT_KEYS]


# ---- figures -------------------------------------------------------------------------------------

def test_figures_at_the_end_of_each_month_match_the_hand_computed_ones(city: Ledger) -> None:
    for month, expected in ((AUG, AUGUST), (SEP, SEPTEMBER)):
        report = build(city.engine, month)
        got = {row.label: counts_of(row.current) for row in report.rows}
        got[TOTAL_LABEL] = counts_of(report.total.current)
        assert got == expected, month


def test_shares_month_on_month_change_and_the_order_furthest_behind_first(city: Ledger) -> None:
    report = build(city.engine, SEP)
    # served share: 朝阳 0/1, 海淀 2/4, 丰台 1/1 → 朝阳, 海淀, 丰台
    assert [row.label for row in report.rows] == ["朝阳区", "海淀区", "丰台区"]
    rows = {row.label: row for row in [*report.rows, report.total]}
    assert rows["海淀区"].current.share("share_served") == 0.5 and rows["海淀区"].current.share("share_reached") == 0.8
    assert rows["朝阳区"].current.share("share_reached") == pytest.approx(1 / 3)
    changes = {label: [row.change(key) for key in ("listed", "reached", "registered", "served", "difficulty_short")]
               for label, row in rows.items()}
    assert changes == {"海淀区": [0, 0, 0, 2, 0], "朝阳区": [1, 1, 1, 0, 0], "丰台区": [0, 1, 0, 1, 0], TOTAL_LABEL: [1, 2, 1, 3, 0]}
    assert rows["海淀区"].change("share_served") == 0.5 and rows["丰台区"].change("share_reached") == 0.5
    assert rows["朝阳区"].change("share_served") == 0
    # August: every served share is 0, so the share reached decides: 朝阳 0, 丰台 1/2, 海淀 4/5
    assert [row.label for row in build(city.engine, AUG).rows] == ["朝阳区", "丰台区", "海淀区"]


def test_the_trend_covers_the_campaign_so_far(city: Ledger) -> None:
    report = build(city.engine, SEP)
    assert [each.month for each in report.trend] == [Month(2022, 7), AUG, SEP]
    haidian = next(row for row in report.rows if row.label == "海淀区")
    july, august, september = report.trend_of(haidian)
    assert july[1]["listed"] == 4 and july[1]["reached"] == 0  # H1 H2 H3 H6 (H7 was deleted on 30 July)
    assert august[1].share("share_reached") == 0.8 and september[1].share("share_served") == 0.5


def test_a_district_sees_its_row_and_the_city_total(city: Ledger) -> None:
    report = build(city.engine, SEP)
    scoped = report.scoped("海淀")
    assert [row.label for row in scoped.rows] == ["海淀区"] and scoped.total.current["listed"] == 10
    empty = report.scoped("延庆区")
    assert [row.label for row in empty.rows] == ["延庆区"] and empty.rows[0].current["listed"] == 0


def test_nothing_personal_is_read(city: Ledger) -> None:
    report = build(city.engine, SEP)
    text = repr(report)
    assert "王芳" not in text and "13912345678" not in text and "tg:h4" not in text


# ---- small counts --------------------------------------------------------------------------------

def test_small_counts_are_hidden_and_cannot_be_recovered_from_the_sums(city: Ledger) -> None:
    shown = public(build(city.engine, SEP))
    for label, expected in SEPTEMBER.items():
        for key, value in zip(COUNT_KEYS, expected):
            cell = shown.cells[label][key]
            if 1 <= value <= 4:
                assert cell == SMALL, (label, key)
            elif value == 0:
                assert cell == 0, (label, key)
            else:
                assert cell in (value, WITHHELD), (label, key)
    districts = ["海淀区", "朝阳区", "丰台区"]
    for key in COUNT_KEYS:  # a column: the district rows add up to the total
        column = [shown.cells[label][key] for label in districts]
        hidden = [cell for cell in column if isinstance(cell, str)]
        assert len(hidden) != 1 or isinstance(shown.cells[TOTAL_LABEL][key], str), key
    for label in [*districts, TOTAL_LABEL]:  # a row: the statuses add up to the list
        statuses = [shown.cells[label][code] for code in ("employed", "seeking", "study", "no_wish", "startup", "unknown")]
        assert sum(isinstance(cell, str) for cell in statuses) != 1 or isinstance(shown.cells[label]["listed"], str), label
    # a share or a change is shown only when what it is made of is
    assert shown.cells["海淀区"]["share_served"] == WITHHELD  # 2 of 4
    assert shown.cells["海淀区"]["change:served"] == WITHHELD  # 0 → 2
    assert shown.cells["朝阳区"]["change:difficulty_short"] == WITHHELD  # 1 → 1
    assert shown.cells["海淀区"]["change:difficulty_short"] == WITHHELD


def test_secondary_suppression_protects_a_single_small_count() -> None:
    def row(n: int) -> Figures:
        return Figures({key: (n if key in ("listed", "unknown", "owed") else 0) for key in COUNTS})

    table = {"甲区": row(3), "乙区": row(9), "丙区": row(0), TOTAL_LABEL: row(12)}
    hidden = suppress(table, TOTAL_LABEL)
    assert hidden.small == {("甲区", key) for key in ("listed", "unknown", "owed")}
    # 乙区's 9 is withheld: with it shown, 12 - 9 - 0 would give 甲区's 3 away
    assert hidden.withheld == {("乙区", key) for key in ("listed", "unknown", "owed")}
    assert len(equations(["甲区", "乙区", "丙区"], TOTAL_LABEL)) == len(COUNTS) + 4 * 3


def test_two_small_counts_that_add_up_to_a_giveaway_are_protected_too() -> None:
    def row(n: int) -> Figures:
        return Figures({key: (n if key in ("listed", "unknown", "owed") else 0) for key in COUNTS})

    # 1 + 1 = 2 would tell both; 4 + 4 = 8 too
    for small in (1, 4):
        table = {"甲区": row(small), "乙区": row(small), "丙区": row(20), TOTAL_LABEL: row(20 + 2 * small)}
        hidden = suppress(table, TOTAL_LABEL)
        assert ("丙区", "listed") in hidden.withheld, small


def test_the_xlsx_has_the_same_figures_with_small_counts_hidden(city: Ledger, tmp_path: Path) -> None:
    report = build(city.engine, SEP)
    out = export_xlsx(report, tmp_path / "report.xlsx", None)
    book = openpyxl.load_workbook(out)
    sheet = book["月度通报"]
    assert "2022年9月" in sheet["A1"].value and "2022-09-30" in sheet["A1"].value
    assert [cell.value for cell in sheet[5]] == table_headers()
    rows = {row[1].value: [cell.value for cell in row] for row in sheet.iter_rows(min_row=6)}
    assert list(rows) == ["朝阳区", "海淀区", "丰台区", TOTAL_LABEL]
    shown = public(report)
    for label, values in rows.items():
        assert values[2:] == [_xlsx_value(key, shown.cells[label][key]) for key in COLUMNS], label
        numbers = [value for key, value in zip(COLUMNS, values[2:]) if key in COUNTS and isinstance(value, int)]
        assert not [n for n in numbers if 1 <= n <= 4], label
    assert rows["丰台区"][0] == "3" and rows[TOTAL_LABEL][0] is None  # the rank; the total has none
    assert SMALL in rows["海淀区"] and rows["丰台区"][2 + COLUMNS.index("unknown")] == 0
    trend = book["趋势"]
    assert [cell.value for cell in trend[1]] == ["区", "指标", "2022-07", "2022-08", "2022-09"]


def _xlsx_value(key: str, value: object) -> object:
    if isinstance(value, str):
        return value
    if key.startswith("change:") and key[7:] in ("share_reached", "share_served"):
        return round(float(value) * 100, 1)  # type: ignore[arg-type]
    return value


def test_a_districts_xlsx_is_suppressed_as_in_the_citys(city: Ledger, tmp_path: Path) -> None:
    report = build(city.engine, SEP)
    out = export_xlsx(report, tmp_path / "haidian.xlsx", "海淀区")
    sheet = openpyxl.load_workbook(out)["月度通报"]
    rows = {row[1].value: [cell.value for cell in row][2:] for row in sheet.iter_rows(min_row=6)}
    assert list(rows) == ["海淀区", TOTAL_LABEL]
    whole = public(report).cells
    assert rows["海淀区"] == [_xlsx_value(key, whole["海淀区"][key]) for key in COLUMNS]
    assert public_scoped(report, "海淀区").cells[TOTAL_LABEL] == whole[TOTAL_LABEL]


# ---- months and the command line ------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2022-13", "2022-9", "22-09", "2022/09", "", "九月", "2022-00", " 2022-09x", None])
def test_a_bad_month_is_refused(text: object) -> None:
    with pytest.raises(ReportError):
        Month.parse(text)


def test_months() -> None:
    assert Month.parse("2022-09") == SEP and Month.parse(" 2022-09 ") == SEP
    assert SEP.previous() == AUG and Month(2022, 1).previous() == Month(2021, 12) and Month(2022, 12).next() == Month(2023, 1)
    assert SEP.last_day == date(2022, 9, 30) and str(SEP) == "2022-09" and SEP.label == "2022年9月"
    assert SEP.cutoff == datetime(2022, 9, 30, 16, 0, tzinfo=timezone.utc)
    with pytest.raises(ReportError):
        Month.parse("2030-01", today=date(2029, 12, 31))
    assert Month.parse("2029-12", today=date(2029, 12, 1)) == Month(2029, 12)


def test_the_command_line_prints_the_table_and_writes_the_xlsx(city: Ledger, tmp_path: Path) -> None:
    env = cli_env(city)
    printed = run_cli(env, "report", "--month", "2022-09")
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert "2022年9月" in lines[0] and "范围：全市各区" in lines[1]
    assert [line.split()[:2] for line in lines[4:7]] == [["1", "朝阳区"], ["2", "海淀区"], ["3", "丰台区"]]
    assert lines[7].split()[0] == TOTAL_LABEL
    assert SMALL in printed.stdout and "王芳" not in printed.stdout

    one = run_cli(env, "report", "--month", "2022-09", "--district", "海淀")
    assert one.returncode == 0, one.stderr
    assert "海淀区" in one.stdout and "朝阳区" not in one.stdout and TOTAL_LABEL in one.stdout

    out = tmp_path / "sept.xlsx"
    written = run_cli(env, "report", "--month", "2022-09", "--format", "xlsx", "--out", str(out), "--staff", "李老师")
    assert written.returncode == 0, written.stderr
    assert openpyxl.load_workbook(out)["月度通报"]["B6"].value == "朝阳区"
    [entry] = [e for e in city.audit_entries() if e["action"] == "report_export"]
    assert entry["actor"] == "李老师" and entry["detail"]["month"] == "2022-09" and entry["detail"]["district"] is None


@pytest.mark.parametrize("args, message", [
    (["--month", "2022-13"], "not a month"),
    (["--month", "2099-01"], "has not begun"),
    (["--month", "2022-9", "--format", "xlsx", "--out", "OUT/report.xlsx"], "not a month"),
    (["--month", "2022-09", "--district", "火星区"], "unknown district"),
    (["--month", "2022-09", "--format", "xlsx"], "needs --out"),
])
def test_the_command_line_refuses_bad_arguments_with_status_2(ledger: Ledger, tmp_path: Path, args: list, message: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(cli_env(ledger), "report", *[arg.replace("OUT", str(out)) for arg in args])
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert list(out.iterdir()) == [] and [e for e in ledger.audit_entries() if e["action"] == "report_export"] == []
