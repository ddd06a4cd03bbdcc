"""Staff export of the ledger (CSV with BOM, .xlsx) on both databases: columns, masks, filters,
formula-injection neutralisation and the audit trail; and the staff command line around it."""
from __future__ import annotations

import csv
import re
import stat
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List

import openpyxl
import pytest

from ledger.config import LedgerSettings
from ledger.export import BEIJING, HEADERS, ExportError, Filters, csv_cell, district_matches, export
from ledger.store import Ledger
from tests.ledger.test_followup import cli_env, give, id_number, registration, row_of, run_cli

FORMULA_NAME = '=HYPERLINK("http://x")'
SCRIPT_NAME = "<script>alert(1)</script>"


@pytest.fixture
def refs(ledger: Ledger) -> Dict[str, str]:
    """Four graduates: served / owed / in difficulty / employed, in two districts."""
    saved = {
        "served": ledger.save("wx:served", registration("王芳", "13912345678", services=["recommendation", "training"])).ref,
        "formula": ledger.save("wx:formula", registration(FORMULA_NAME, "13811112222", major="+SUM(1,2)", intention="-1+1")).ref,
        "poor": ledger.save("wx:poor", registration(
            SCRIPT_NAME, "13633334444", district="朝阳区", grad_year=2021, difficulty=True, difficulty_kind="零就业家庭",
            services=["guidance"], id_number=id_number("19991231", "456"),
        )).ref,
        "employed": ledger.save("wx:employed", registration("赵敏", "15000005555", status="已就业", school="@清华\x07大学")).ref,
    }
    give(ledger, saved["served"], "guidance")
    give(ledger, saved["served"], "recommendation", 3)
    give(ledger, saved["served"], "traineeship")
    give(ledger, saved["poor"], "recommendation", 2)
    return saved


def read_csv(path: Path) -> List[Dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM to read Chinese"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == HEADERS
    return [dict(zip(HEADERS, row)) for row in rows[1:]]


def read_xlsx(path: Path) -> List[Dict[str, openpyxl.cell.cell.Cell]]:
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == HEADERS
    return [dict(zip(HEADERS, row)) for row in rows[1:]]


def test_csv_has_every_column_masked_numbers_and_the_services(ledger: Ledger, refs: Dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "ledger.csv"
    assert export(ledger, out, "csv", "张老师") == 4
    rows = {row["登记编号"]: row for row in read_csv(out)}
    served = rows[refs["served"]]
    assert served["姓名"] == "王芳"
    assert served["手机号"] == "139****5678"
    assert served["身份证号"] == "1101**********" + id_number("20000101", "678")[-4:]
    assert (served["学校"], served["学历"], served["毕业年份"], served["居住区"]) == ("北京大学", "本科", "2022", "海淀区")
    assert served["年龄"] == str(date.today().year - 2000)
    assert served["意向区域"] == "海淀区、朝阳区"
    assert served["服务需求"] == "岗位推介、技能培训"
    assert served["已提供服务"] == "职业指导 1；岗位推介 3；就业见习 1"
    assert served["尚欠服务"] == ""
    assert served["困难家庭"] == "否"
    registered = datetime.strptime(served["登记时间"], "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING)
    assert abs(datetime.now(timezone.utc) - registered) < timedelta(minutes=5)  # Beijing time, not UTC
    poor = rows[refs["poor"]]
    assert (poor["困难家庭"], poor["困难类别"]) == ("是", "零就业家庭")
    assert poor["尚欠服务"] == "职业指导 0/1；岗位推介 2/3；技能培训/就业见习 0/1"
    assert rows[refs["employed"]]["尚欠服务"] == ""
    assert "13912345678" not in out.read_text(encoding="utf-8-sig")


def test_csv_neutralises_formulas_and_strips_control_characters(ledger: Ledger, refs: Dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "ledger.csv"
    export(ledger, out, "csv", "张老师")
    rows = {row["登记编号"]: row for row in read_csv(out)}
    formula = rows[refs["formula"]]
    assert formula["姓名"] == "'" + FORMULA_NAME
    assert formula["专业"] == "'+SUM(1,2)"
    assert formula["求职意向"] == "'-1+1"
    assert rows[refs["employed"]]["学校"] == "'@清华大学"
    assert rows[refs["poor"]]["姓名"] == SCRIPT_NAME  # not a formula: kept as typed
    assert csv_cell("\t=1+1") == "'=1+1" and csv_cell("\r\n-2") == "'-2" and csv_cell("a\x00b") == "ab"
    assert csv_cell(2022) == "2022" and csv_cell(None) == ""


def test_xlsx_rows_masks_and_formula_name_stored_as_text(ledger: Ledger, refs: Dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "ledger.xlsx"
    assert export(ledger, out, "xlsx", "张老师") == 4
    rows = {row["登记编号"].value: row for row in read_xlsx(out)}
    assert set(rows) == set(refs.values())
    formula = rows[refs["formula"]]["姓名"]
    assert formula.value == FORMULA_NAME
    assert formula.data_type == "s"
    assert formula.quotePrefix is True
    assert rows[refs["formula"]]["专业"].data_type == "s" and rows[refs["formula"]]["专业"].value == "+SUM(1,2)"
    assert rows[refs["poor"]]["姓名"].value == SCRIPT_NAME
    assert rows[refs["employed"]]["学校"].value == "@清华大学"
    served = rows[refs["served"]]
    assert served["手机号"].value == "139****5678"
    assert served["身份证号"].value.startswith("1101**********")
    assert served["毕业年份"].value == 2022 and served["毕业年份"].data_type == "n"
    assert rows[refs["poor"]]["尚欠服务"].value == "职业指导 0/1；岗位推介 2/3；技能培训/就业见习 0/1"
    with zipfile.ZipFile(out) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
        strings = book.read("xl/sharedStrings.xml").decode("utf-8") if "xl/sharedStrings.xml" in book.namelist() else ""
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml, "no cell may be written as a formula"
    assert "HYPERLINK" in sheet_xml + strings
    assert "13912345678" not in sheet_xml + strings


def test_reveal_shows_full_numbers_and_is_audited(ledger: Ledger, refs: Dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "call-list.xlsx"
    export(ledger, out, "xlsx", "李老师", Filters(owed=True), reveal=True)
    rows = {row["登记编号"].value: row for row in read_xlsx(out)}
    poor = rows[refs["poor"]]
    assert poor["手机号"].value == "13633334444" and poor["手机号"].data_type == "s"
    assert poor["身份证号"].value == id_number("19991231", "456")
    entry = ledger.audit_entries()[-1]
    assert (entry["actor"], entry["action"]) == ("李老师", "export")
    assert entry["detail"] == {"filters": {"owed": True}, "format": "xlsx", "rows": len(rows), "reveal": True, "file": str(out.resolve())}

    csv_out = tmp_path / "call-list.csv"
    export(ledger, csv_out, "csv", "李老师", Filters(difficulty=True), reveal=True)
    (row,) = read_csv(csv_out)
    assert row["手机号"] == "13633334444"
    # Excel would round an 18-digit number: kept as text
    assert row["身份证号"] == "'" + id_number("19991231", "456")


def test_export_is_audited_with_actor_and_row_count(ledger: Ledger, refs: Dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "haidian.csv"
    count = export(ledger, out, "csv", "张老师", Filters(district="海淀", grad_year=2022))
    entry = ledger.audit_entries()[-1]
    assert entry["actor"] == "张老师" and entry["action"] == "export"
    assert entry["detail"]["rows"] == count == 3
    assert entry["detail"]["filters"] == {"district": "海淀", "grad_year": 2022}
    assert entry["detail"]["reveal"] is False and entry["detail"]["format"] == "csv"
    assert entry["at"] is not None
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: readable by its owner only


@pytest.mark.parametrize(
    "filters, expected",
    [
        (Filters(), {"served", "formula", "poor", "employed"}),
        (Filters(district="海淀区"), {"served", "formula", "employed"}),
        (Filters(district="朝阳"), {"poor"}),
        (Filters(district="东城"), set()),
        (Filters(grad_year=2021), {"poor"}),
        (Filters(status="已就业"), {"employed"}),
        (Filters(needs="training"), {"served"}),
        (Filters(needs="guidance"), {"formula", "poor", "employed"}),
        (Filters(difficulty=True), {"poor"}),
        (Filters(owed=True), {"formula", "poor"}),
        (Filters(district="海淀", owed=True), {"formula"}),
    ],
)
def test_filters_choose_the_rows(ledger: Ledger, refs: Dict[str, str], tmp_path: Path, filters: Filters, expected: set) -> None:
    out = tmp_path / "filtered.xlsx"
    assert export(ledger, out, "xlsx", "张老师", filters) == len(expected)
    got = {row["登记编号"].value for row in read_xlsx(out)}
    assert got == {refs[key] for key in expected}


def test_deleted_registrations_are_not_exported(ledger: Ledger, refs: Dict[str, str], tmp_path: Path) -> None:
    ledger.delete("wx:poor")
    out = tmp_path / "ledger.csv"
    assert export(ledger, out, "csv", "张老师") == 3
    assert refs["poor"] not in {row["登记编号"] for row in read_csv(out)}


def test_bad_filter_or_format_writes_nothing(ledger: Ledger, refs: Dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="status"):
        export(ledger, tmp_path / "x.csv", "csv", "张老师", Filters(status="失业"))
    with pytest.raises(ExportError, match="service"):
        export(ledger, tmp_path / "x.csv", "csv", "张老师", Filters(needs="lunch"))
    with pytest.raises(ExportError, match="format"):
        export(ledger, tmp_path / "x.pdf", "pdf", "张老师")
    assert not any(path.name.startswith(("x.", ".export-")) for path in tmp_path.iterdir())
    assert not any(entry["action"] == "export" for entry in ledger.audit_entries())


def test_district_matching_accepts_short_and_full_names() -> None:
    assert district_matches("海淀区", "海淀") and district_matches("海淀区", "海淀区") and district_matches("海淀区", " 海淀区 ")
    assert not district_matches("海淀区", "海") and not district_matches(None, "海淀")
    assert not district_matches("门头沟区", "门")


# ---- the command line
def test_cli_export_xlsx_with_filters(ledger: Ledger, refs: Dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "owed.xlsx"
    result = run_cli(cli_env(ledger), "export", "--format", "xlsx", "--out", str(out), "--district", "海淀",
                     "--grad-year", "2022", "--status", "未就业", "--owed", "--staff", "张老师")
    assert result.returncode == 0, result.stderr
    assert "1 rows" in result.stdout
    (row,) = read_xlsx(out)
    assert row["登记编号"].value == refs["formula"]
    assert row["姓名"].value == FORMULA_NAME and row["姓名"].data_type == "s"
    assert row["手机号"].value == "138****2222"
    entry = ledger.audit_entries()[-1]
    assert (entry["actor"], entry["action"], entry["detail"]["rows"]) == ("张老师", "export", 1)
    assert entry["detail"]["filters"] == {"district": "海淀", "grad_year": 2022, "status": "未就业", "owed": True}


def test_cli_export_csv_reveal_and_needs(ledger: Ledger, refs: Dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "needs.csv"
    result = run_cli(cli_env(ledger), "export", "--format", "csv", "--out", str(out), "--needs", "recommendation",
                     "--difficulty", "--reveal", "--staff", "李老师")
    assert result.returncode == 0, result.stderr
    assert read_csv(out) == []  # the difficulty graduate asked for guidance only
    result = run_cli(cli_env(ledger), "export", "--format", "csv", "--out", str(out), "--difficulty", "--reveal", "--staff", "李老师")
    (row,) = read_csv(out)
    assert row["手机号"] == "13633334444"
    assert ledger.audit_entries()[-1]["detail"]["reveal"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "pdf"], "invalid choice: 'pdf'"),
        (["--format", "csv", "--status", "失业"], "invalid choice: '失业'"),
        (["--format", "csv", "--needs", "lunch"], "invalid choice: 'lunch'"),
        (["--format", "csv", "--grad-year", "22"], "not a year"),
    ],
)
def test_cli_export_rejects_bad_arguments(ledger: Ledger, refs: Dict[str, str], tmp_path: Path, args: List[str], message: str) -> None:
    out = tmp_path / "x.csv"
    result = run_cli(cli_env(ledger), "export", *args, "--out", str(out), "--staff", "张老师")
    assert result.returncode == 2
    assert message in result.stderr
    assert not out.exists()


def test_cli_export_into_a_missing_folder_exits_2(ledger: Ledger, refs: Dict[str, str], tmp_path: Path) -> None:
    result = run_cli(cli_env(ledger), "export", "--format", "csv", "--out", str(tmp_path / "nope" / "x.csv"), "--staff", "张老师")
    assert result.returncode == 2 and "nope" in result.stderr
    assert not any(entry["action"] == "export" for entry in ledger.audit_entries())


def test_cli_audit_prints_who_did_what(ledger: Ledger, refs: Dict[str, str], tmp_path: Path) -> None:
    export(ledger, tmp_path / "a.csv", "csv", "张老师", Filters(difficulty=True))
    result = run_cli(cli_env(ledger), "audit")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum("follow_up" in line and "张老师" in line for line in lines) == 7  # 5 for "served", 2 for "poor"
    export_line = lines[-1]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  ", export_line)
    assert "张老师" in export_line and "export" in export_line and '"rows": 1' in export_line and '"difficulty": true' in export_line


def test_cli_migrate_new_key_and_rotate_keys(ledger: Ledger, refs: Dict[str, str]) -> None:
    env = cli_env(ledger)
    migrated = run_cli(env, "migrate")
    assert migrated.returncode == 0 and "schema up to date" in migrated.stdout

    printed = dict(line.split("=", 1) for line in run_cli(env, "new-key").stdout.splitlines())
    assert set(printed) == {"LEDGER_KEYS", "LEDGER_HASH_KEY"}
    rotated_env = {**env, "LEDGER_KEYS": f"{printed['LEDGER_KEYS']},{env['LEDGER_KEYS']}"}
    result = run_cli(rotated_env, "rotate-keys", "--staff", "管理员")
    assert result.returncode == 0, result.stderr
    assert "re-encrypted: 4" in result.stdout
    # the old key can go: everything reads with the new one alone
    assert ledger.settings is not None
    alone = Ledger.open(LedgerSettings(ledger.settings.database_url, [printed["LEDGER_KEYS"].encode()], ledger.settings.hash_key))
    try:
        assert {row.registration.name for row in alone.rows()} == {"王芳", FORMULA_NAME, SCRIPT_NAME, "赵敏"}
    finally:
        alone.close()
    assert ledger.audit_entries()[-1]["actor"] == "管理员"


def test_cli_purge_keeps_recent_registrations(ledger: Ledger, refs: Dict[str, str]) -> None:
    result = run_cli(cli_env(ledger), "purge", "--staff", "管理员")
    assert result.returncode == 0, result.stderr
    assert "registrations erased: 0" in result.stdout
    assert len(list(ledger.rows())) == 4
    entry = ledger.audit_entries()[-1]
    assert (entry["actor"], entry["action"]) == ("管理员", "purge")


def test_cli_unknown_command_exits_2(ledger: Ledger) -> None:
    result = run_cli(cli_env(ledger), "export-all")
    assert result.returncode == 2 and "invalid choice" in result.stderr
