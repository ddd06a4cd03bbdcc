"""Importing the handed-over list (ledger/importer.py) on SQLite and PostgreSQL: good, bad and
repeated rows with an exact preview; matching existing records by the blind indexes; a repeated
import adding nothing; GBK CSV and .xlsx with a title row; a failed import writing nothing; a chat
registration joining its list entry (by ID number, by phone) and deleting it again; the CLI."""
from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import pytest
from openpyxl import Workbook
from sqlalchemy import event, func, select

from db.tables import audit_log, import_batches, registrations
from ledger.fields import id_check_digit
from ledger.importer import (DistrictNames, ImportChanged, ImportFileError, commit, preview, preview_lines, read_list)
from ledger.model import Registration
from ledger.store import DuplicatePerson, Ledger

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["姓名", "身份证号码", "手机号码", "毕业院校", "专业", "学历", "届别", "户籍所在区"]
DISTRICTS = DistrictNames.from_kb()


def id_number(seq: int, born: Optional[str] = None, area: str = "110108") -> str:
    """A valid ID number, different for every `seq` (born on a later day every 1000)."""
    born = born or (date(2000, 1, 1) + timedelta(days=seq // 1000)).strftime("%Y%m%d")
    first = f"{area}{born}{seq % 1000:03d}"
    return first + id_check_digit(first)


def phone(seq: int) -> str:
    return f"139{seq:08d}"


def row(seq: int, **changes: Any) -> List[Any]:
    values = {"name": f"毕业生{chr(0x4e00 + seq % 500)}", "id": id_number(seq), "phone": phone(seq), "school": "北京某大学",
              "major": "会计学", "degree": "本科", "year": "2022届", "district": "海淀区"}
    values.update(changes)
    return [values[k] for k in ("name", "id", "phone", "school", "major", "degree", "year", "district")]


def csv_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]], title: Optional[str] = None, header: Sequence[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.append([])
    sheet.append(list(header))
    for r in rows:
        sheet.append(list(r))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(data: bytes, name: str = "名单.csv", scope: Optional[str] = None):  # type: ignore[no-untyped-def]
    return read_list(data, name, DISTRICTS, scope)


def run(ledger: Ledger, data: bytes, name: str = "名单.csv", staff: str = "staff1", scope: Optional[str] = None):  # type: ignore[no-untyped-def]
    listed = read(data, name, scope)
    shown = preview(ledger, listed)
    return shown, commit(ledger, listed, staff, shown)


def count(ledger: Ledger, *where: Any) -> int:
    with ledger.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(registrations).where(*where)).scalar() or 0)


# ---- reading and validating -------------------------------------------------------------------------

def test_every_bad_row_is_rejected_with_its_row_number_and_reason() -> None:
    bad_check = id_number(3)[:17] + ("0" if id_number(3)[17] != "0" else "1")
    bad_birth_first = "11010820001301003"
    rows = [
        row(1),
        row(2, name=""),
        row(3, id=bad_check),
        row(4, id="11010820000101"),
        row(5, id=bad_birth_first + id_check_digit(bad_birth_first)),
        row(6, phone="1391234"),
        row(7, id="", phone=""),
        row(8, year="1975"),
        row(9, year="明年"),
        row(10, degree="幼儿园"),
        row(11, district="上海市浦东新区"),
        row(12, year="2021年", degree="大专", district="海淀"),
        row(13, degree="硕士研究生", district="北京市朝阳区", year=2023, id="", phone="+86 139 0000 0013"),
    ]
    listed = read(csv_bytes(rows))
    assert listed.total == 13
    reasons = {r.line: r.reason for r in listed.rejected}
    assert reasons == {
        3: "缺少姓名",
        4: "身份证号校验位不对",
        5: "身份证号应为18位（前17位数字，最后一位数字或X）",
        6: "身份证号中的出生日期不对",
        7: "手机号不对（应为11位手机号码）",
        8: "缺少身份证号和手机号（至少填一项才能比对）",
        9: "毕业年份不合理：1975",
        10: "毕业年份无法识别：“明年”（应如 2022、2022届）",
        11: "学历无法识别：“幼儿园”（应为中专、技校、专科、本科、硕士、博士之一）",
        12: "户籍区无法识别：“上海市浦东新区”（应为北京市的区，如“海淀区”）",
    }
    assert str(listed.rejected[1]) == "第4行：身份证号校验位不对"
    good = {e.line: e for e in listed.entries}
    assert sorted(good) == [2, 13, 14]
    assert (good[13].grad_year, good[13].degree, good[13].district) == (2021, "专科", "海淀区")
    assert (good[14].grad_year, good[14].degree, good[14].district, good[14].phone, good[14].id_number) == \
        (2023, "硕士", "朝阳区", "13900000013", None)
    assert good[2].id_number == id_number(1) and good[2].birth_year == 2000


def test_a_row_with_several_problems_names_them_all() -> None:
    listed = read(csv_bytes([row(1, phone="12", degree="小学")]))
    assert listed.rejected[0].reason == "手机号不对（应为11位手机号码）；学历无法识别：“小学”（应为中专、技校、专科、本科、硕士、博士之一）"


@pytest.mark.parametrize("data, name, message", [
    (b"", "a.csv", "文件是空的"),
    (b"x", "list.txt", "不支持的文件格式（.txt）"),
    (b"x", "list.xls", "不支持 .xls 旧格式"),
    (b"not a zip", "list.xlsx", "不是有效的 .xlsx 文件"),
    ("学校,专业\n北京某大学,会计\n".encode(), "a.csv", "找不到表头"),
    ("姓名,学校\n王芳,北京某大学\n".encode(), "a.csv", "缺少必需的列：身份证号或手机号"),
    ("姓名,手机号\n".encode(), "a.csv", "名单里没有数据行"),
    ("姓名,手机号\n".encode() + b"\x81\x20\n", "a.csv", "无法识别文件的编码"),
])
def test_a_bad_file_is_refused_with_what_to_fix(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ImportFileError) as refused:
        read(data, name)
    assert message in str(refused.value)


def test_gbk_csv_is_read() -> None:
    listed = read(csv_bytes([row(1, name="王芳", school="北京师范大学")], encoding="gbk"))
    assert listed.rejected == [] and listed.entries[0].name == "王芳" and listed.entries[0].school == "北京师范大学"


def test_xlsx_with_a_title_row_and_numbers_as_numbers() -> None:
    data = xlsx_bytes([row(1, phone=13900000001, year=2022), row(2, id=110108200001010021)], title="2022届北京生源未就业毕业生名单")
    listed = read(data, "名单.xlsx")
    assert [e.line for e in listed.entries] == [4]
    assert listed.entries[0].phone == "13900000001" and listed.entries[0].grad_year == 2022
    assert listed.rejected[0].line == 5 and "身份证号被表格存成了数字" in listed.rejected[0].reason


def test_header_aliases_in_english_and_with_notes() -> None:
    data = csv_bytes([["王芳", phone(1), "2022", "海淀"]], header=["* Name", "手机（必填）", "毕业年份", "生源地区"])
    entry = read(data).entries[0]
    assert (entry.name, entry.phone, entry.grad_year, entry.district) == ("王芳", phone(1), 2022, "海淀区")


def test_district_staff_import_only_their_district() -> None:
    listed = read(csv_bytes([row(1), row(2, district="朝阳"), row(3, district="")]), scope="海淀区")
    assert [e.line for e in listed.entries] == [2, 4] and listed.entries[1].district == "海淀区"
    assert listed.rejected[0].reason == "户籍区为朝阳区，不属于本区（海淀区）的名单"


# ---- preview and commit ----------------------------------------------------------------------------

def test_preview_is_exact_and_commit_writes_it(ledger: Ledger) -> None:
    chat_ref = ledger.save("wx:g5", Registration(name="王五", phone=phone(5), district="朝阳区", status="未就业")).ref
    rows = [row(1), row(2), row(1, phone=phone(91)), row(3, id=""), row(4, id="", phone=phone(3)), row(5, school="北京某学院"),
            row(6, phone="123"), row(7, phone=phone(2))]
    listed = read(csv_bytes(rows))
    shown = preview(ledger, listed)
    assert shown.counts() == {"total": 8, "added": 3, "matched": 1, "repeated": 2, "rejected": 2}
    assert [e.line for e in shown.add] == [2, 3, 5]
    assert [str(r) for r in shown.repeated] == ["第4行：与第2行重复", "第6行：与第5行重复"]
    assert [str(r) for r in shown.rejected] == ["第8行：手机号不对（应为11位手机号码）", "第9行：手机号与第3行相同，但身份证号不同，请核对"]
    match = shown.matched[0]
    assert (match.entry.line, match.ref, match.registered, match.fills) == (7, chat_ref, True, ("id_number", "school", "major", "degree", "grad_year"))
    assert count(ledger) == 1  # the preview wrote nothing

    batch = commit(ledger, listed, "staff1", shown)
    assert batch.counts == shown.counts()
    assert count(ledger, registrations.c.source == "import") == 4 and count(ledger) == 4
    assert count(ledger, registrations.c.identity.is_(None)) == 3
    stored = {row.ref: row for row in ledger.rows()}
    chat = stored[chat_ref].registration
    # the match filled the empty fields only: the name and district the graduate gave stay
    assert (chat.name, chat.district, chat.id_number, chat.school, chat.grad_year, chat.birth_year) == \
        ("王五", "朝阳区", id_number(5), "北京某学院", 2022, 2000)
    imported = [r for r in stored.values() if r.channel == "import"]
    assert sorted(r.registration.phone or "" for r in imported) == [phone(1), phone(2), phone(3)]
    with ledger.engine.connect() as conn:
        saved = conn.execute(select(import_batches)).one()
        entries = conn.execute(select(audit_log).where(audit_log.c.action == "import")).all()
    assert (saved.total, saved.added, saved.matched, saved.rejected, saved.duplicates, saved.staff) == (8, 3, 1, 2, 2, "staff1")
    assert len(entries) == 1
    for secret in (phone(1), id_number(1), "毕业生", "北京某"):
        assert secret not in entries[0].detail  # counts only


def test_repeating_the_same_file_adds_nothing(ledger: Ledger) -> None:
    data = csv_bytes([row(n) for n in range(1, 21)])
    run(ledger, data)
    again, batch = run(ledger, data)
    assert again.counts() == {"total": 20, "added": 0, "matched": 20, "repeated": 0, "rejected": 0}
    assert all(m.fills == () and not m.registered for m in again.matched)
    assert count(ledger) == 20
    with ledger.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(import_batches)).scalar() == 2


def test_a_later_list_fills_empty_fields_of_an_imported_record(ledger: Ledger) -> None:
    run(ledger, csv_bytes([row(1, school="", major="")]))
    shown, _ = run(ledger, csv_bytes([row(1, school="北京某大学", major="法学", name="别的名字")]))
    assert shown.matched[0].fills == ("school", "major")
    reg = next(ledger.rows()).registration
    assert (reg.name, reg.school, reg.major) == (row(1)[0], "北京某大学", "法学")


def test_a_row_matching_two_different_records_is_rejected(ledger: Ledger) -> None:
    ledger.save("wx:a", Registration(name="甲", id_number=id_number(1)))
    ledger.save("wx:b", Registration(name="乙", phone=phone(2)))
    ledger.save("wx:c", Registration(name="丙", id_number=id_number(3), phone=phone(3)))
    shown = preview(ledger, read(csv_bytes([row(1, phone=phone(2)), row(4, phone=phone(3))])))
    assert [str(r) for r in shown.rejected] == ["第2行：身份证号和手机号分别与台账中两条不同的记录相同，请核对",
                                                "第3行：手机号已登记在另一个身份证号名下，请核对"]


def test_commit_refuses_when_the_ledger_changed_since_the_preview(ledger: Ledger) -> None:
    listed = read(csv_bytes([row(1), row(2)]))
    shown = preview(ledger, listed)
    ledger.save("wx:g2", Registration(name="乙", phone=phone(2)))
    with pytest.raises(ImportChanged):
        commit(ledger, listed, "staff1", shown)
    assert count(ledger) == 1


def test_a_failed_import_writes_nothing(ledger: Ledger) -> None:
    listed = read(csv_bytes([row(n) for n in range(1, 2501)]))
    shown = preview(ledger, listed)
    inserts = []

    def fail_on_the_third_chunk(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO registrations"):
            inserts.append(1)
            if len(inserts) == 3:
                raise RuntimeError("the disk is full")

    event.listen(ledger.engine, "before_cursor_execute", fail_on_the_third_chunk)
    try:
        with pytest.raises(RuntimeError):
            commit(ledger, listed, "staff1", shown)
    finally:
        event.remove(ledger.engine, "before_cursor_execute", fail_on_the_third_chunk)
    assert len(inserts) == 3  # two chunks of 1000 were written inside the transaction, then rolled back
    assert count(ledger) == 0
    with ledger.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(import_batches)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar() == 0
    assert commit(ledger, listed, "staff1", shown).counts["added"] == 2500  # and it can be done again


def test_preview_lines_for_the_command_line(ledger: Ledger) -> None:
    shown = preview(ledger, read(csv_bytes([row(1), row(1), row(2, phone="1")])))
    lines = preview_lines(shown)
    assert lines[0] == "名单.csv：共 3 行；新增 1，与台账已有记录匹配 0，文件内重复 1，不能导入 1"
    assert "  第4行：手机号不对（应为11位手机号码）" in lines and "  第3行：与第2行重复" in lines


# ---- joining a chat registration to the list entry, and deleting it ------------------------------

def chat_registration(**changes: Any) -> Registration:
    values: Dict[str, Any] = dict(name="王芳", phone=phone(1), id_number=id_number(1), school="北京某大学", major="会计学",
                                  degree="本科", grad_year=2022, birth_year=2000, district="朝阳区", status="未就业",
                                  intention="会计", services=["recommendation"], difficulty=True, difficulty_kind="城乡低保家庭")
    values.update(changes)
    return Registration(**values)


@pytest.mark.parametrize("joined_by", ["id_number", "phone"])
def test_a_chat_registration_joins_the_imported_record(ledger: Ledger, joined_by: str) -> None:
    run(ledger, csv_bytes([row(1, district="海淀区"), row(2)]))
    other = {"id_number": dict(phone=phone(77)), "phone": dict(id_number=None)}[joined_by]
    saved = ledger.save("wx:g1", chat_registration(**other))
    assert saved.created
    assert count(ledger) == 2  # joined, not duplicated
    with ledger.engine.connect() as conn:
        record = conn.execute(select(registrations).where(registrations.c.identity == "wx:g1")).one()
    assert record.ref == saved.ref and record.source == "import" and record.consented_at is not None
    assert record.channel == "wx" and record.import_batch_id is not None
    found = ledger.find("wx:g1")
    assert found is not None
    reg = found.registration
    assert (reg.name, reg.district, reg.status, reg.difficulty) == ("王芳", "朝阳区", "未就业", True)
    # what the graduate did not give in chat stays as the list gave it
    assert reg.id_number == id_number(1) and reg.phone == other.get("phone", phone(1))
    # saving again updates the same record
    assert ledger.save("wx:g1", chat_registration(status="已就业", **other)) == type(saved)(saved.ref, created=False)
    # another identity with the same numbers is still a duplicate
    with pytest.raises(DuplicatePerson):
        ledger.save("tg:5", chat_registration(**other))


def test_numbers_of_two_different_list_entries_are_a_duplicate_not_a_crash(ledger: Ledger) -> None:
    run(ledger, csv_bytes([row(1), row(2)]))
    # the ID number of one list entry and the phone of another: joining one would take the other's number
    with pytest.raises(DuplicatePerson) as refused:
        ledger.save("wx:g1", chat_registration(id_number=id_number(1), phone=phone(2)))
    assert refused.value.field == "phone"
    # a graduate already registered in chat who changes their ID number to a list entry's: a duplicate too
    ledger.save("wx:g3", chat_registration(id_number=id_number(3), phone=phone(3)))
    with pytest.raises(DuplicatePerson):
        ledger.save("wx:g3", chat_registration(id_number=id_number(1), phone=phone(3)))
    assert count(ledger) == 3 and count(ledger, registrations.c.identity.is_(None)) == 2


def test_deleting_a_joined_registration_keeps_the_list_entry(ledger: Ledger) -> None:
    run(ledger, csv_bytes([row(1, name="王芳", district="海淀区", school="北京某大学")]))
    ref = ledger.save("wx:g1", chat_registration(phone=phone(77), school="另一所大学", district="朝阳区")).ref
    ledger.add_follow_up(ref, "guidance", date.today(), "电话沟通了求职意向", "staff1")
    assert ledger.delete("wx:g1") == ref
    assert ledger.find("wx:g1") is None
    rows = list(ledger.rows())
    assert len(rows) == 1 and rows[0].ref == ref
    reg = rows[0].registration
    # the list entry as handed over: its phone, school and district back; chat answers gone
    assert (reg.name, reg.phone, reg.id_number, reg.school, reg.district) == ("王芳", phone(1), id_number(1), "北京某大学", "海淀区")
    assert (reg.status, reg.intention, reg.services, reg.difficulty, reg.difficulty_kind) == (None, None, [], False, None)
    with ledger.engine.connect() as conn:
        record = conn.execute(select(registrations)).one()
    assert record.identity is None and record.consented_at is None and record.deleted_at is None and record.source == "import"
    assert record.phone_hash == ledger.cipher.blind_index("phone", phone(1))
    # the graduate can register again and is joined again; the number given in chat is free again
    assert ledger.save("wx:g1", chat_registration()).ref == ref
    assert count(ledger) == 1


def test_delete_leaves_out_a_list_number_someone_else_registered_with_since(ledger: Ledger) -> None:
    run(ledger, csv_bytes([row(1)]))
    ref = ledger.save("wx:g1", chat_registration(phone=phone(77))).ref  # joined by ID, with a new phone
    ledger.save("wx:other", Registration(name="另一人", phone=phone(1)))  # the list's phone, now free, taken
    ledger.delete("wx:g1")
    entry = {r.ref: r.registration for r in ledger.rows()}[ref]
    assert (entry.id_number, entry.phone) == (id_number(1), None)


def test_deleting_a_chat_registration_not_on_the_list_erases_it(ledger: Ledger) -> None:
    ref = ledger.save("wx:g9", chat_registration()).ref
    assert ledger.delete("wx:g9") == ref
    with ledger.engine.connect() as conn:
        record = conn.execute(select(registrations)).one()
    assert record.deleted_at is not None and record.name_enc is None and record.listed_enc is None


def test_a_chat_registration_later_found_on_the_list_keeps_the_list_entry_on_delete(ledger: Ledger) -> None:
    ref = ledger.save("wx:g1", chat_registration(district="朝阳区")).ref
    shown, _ = run(ledger, csv_bytes([row(1, name="王芳", district="海淀区")]))
    assert shown.matched[0].registered and shown.matched[0].fills == ()
    ledger.delete("wx:g1")
    reg = next(ledger.rows()).registration
    assert (reg.name, reg.district, reg.status) == ("王芳", "海淀区", None)


def test_key_rotation_reencrypts_the_list_entry(database_url: str) -> None:
    from ledger.config import LedgerSettings
    from db.crypto import new_key

    old, new = new_key(), new_key()
    first = Ledger.open(LedgerSettings(database_url, [old], b"k" * 32))
    run(first, csv_bytes([row(1)]))
    first.save("wx:g1", chat_registration(phone=phone(77)))
    first.close()
    rotated = Ledger.open(LedgerSettings(database_url, [new, old], b"k" * 32))
    rotated.rotate_keys("staff1")
    rotated.close()
    only_new = Ledger.open(LedgerSettings(database_url, [new], b"k" * 32))
    only_new.delete("wx:g1")
    assert next(only_new.rows()).registration.phone == phone(1)
    only_new.close()


# ---- the command line ------------------------------------------------------------------------------

def run_cli(env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ledger", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


def test_cli_import_dry_run_then_write(database_url: str, tmp_path: Path) -> None:
    from db.crypto import new_key

    key = new_key().decode()
    env = {"DATABASE_URL": database_url, "LEDGER_KEYS": key, "LEDGER_HASH_KEY": base64.urlsafe_b64encode(b"k" * 32).decode()}
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx_bytes([row(1), row(2), row(2), row(3, id="123")], title="2022届名单"))
    dry = run_cli(env, "import", str(path), "--staff", "staff1", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "共 4 行；新增 2，与台账已有记录匹配 0，文件内重复 1，不能导入 1" in dry.stdout
    assert "第7行：身份证号应为18位" in dry.stdout and "dry run: nothing written" in dry.stdout
    written = run_cli(env, "import", str(path), "--staff", "staff1")
    assert written.returncode == 0 and "written: import batch 1" in written.stdout
    again = run_cli(env, "import", str(path), "--staff", "staff1")
    assert "新增 0，与台账已有记录匹配 2" in again.stdout

    bad = tmp_path / "名单.txt"
    bad.write_text("x")
    refused = run_cli(env, "import", str(bad), "--staff", "staff1")
    assert refused.returncode == 2 and "不支持的文件格式" in refused.stderr
    missing = tmp_path / "缺列.csv"
    missing.write_text("姓名,学校\n王芳,北京某大学\n", encoding="utf-8")
    refused = run_cli(env, "import", str(missing), "--staff", "staff1")
    assert refused.returncode == 2 and "缺少必需的列：身份证号或手机号" in refused.stderr
    empty = tmp_path / "空.csv"
    empty.write_bytes(b"")
    refused = run_cli(env, "import", str(empty), "--staff", "staff1")
    assert refused.returncode == 2 and "文件是空的" in refused.stderr
