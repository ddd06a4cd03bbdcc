"""The ledger as a spreadsheet for staff: CSV (UTF-8 with BOM, so Excel reads the Chinese) or
.xlsx, filtered, with phone and ID numbers masked unless `reveal` is asked for. Every export
is written to the audit log: who, when, which filters, how many rows, revealed or not, where.

Cells are neutralised against formula injection (a graduate's "name" like =HYPERLINK(...)):
control characters are stripped, and in CSV a text starting with = + - @ (or tab/CR) gets a
leading apostrophe; in .xlsx every text is written as a string cell (never a formula) with
Excel's quote prefix, so its value stays exactly what the graduate typed. In CSV, a run of 16
or more digits (a revealed ID number) also gets the apostrophe: Excel would otherwise read it
as a number and round away its last digits.
"""
from __future__ import annotations

import csv
import os
import re
import tempfile
import unicodedata
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Union

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XlsxCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from db.pii import mask_id_number, mask_phone

from ledger.fields import SERVICES, STATUSES
from ledger.followup import owed_labels, received_labels
from ledger.store import Ledger, LedgerRow

FORMATS = ("csv", "xlsx")
HEADERS: List[str] = [
    "登记编号", "姓名", "手机号", "身份证号", "学校", "专业", "学历", "毕业年份", "年龄", "居住区",
    "就业状态", "求职意向", "意向区域", "服务需求", "困难家庭", "困难类别", "已提供服务", "尚欠服务",
    "登记时间", "更新时间",
]
BEIJING = timezone(timedelta(hours=8))  # no daylight saving in China
Cell = Union[str, int, None]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel shows digit strings longer than 15 digits rounded (an ID number loses its last digits)
_LONG_DIGITS = re.compile(r"\d{16,}")


class ExportError(ValueError):
    """A filter or format the export does not know; the message says which."""


@dataclass(frozen=True)
class Filters:
    district: Optional[str] = None  # 海淀区 or 海淀
    grad_year: Optional[int] = None
    status: Optional[str] = None  # one of fields.STATUSES
    needs: Optional[str] = None  # a service code the graduate asked for (fields.SERVICES)
    difficulty: bool = False  # families in difficulty only
    owed: bool = False  # only graduates still owed a follow-up service

    def validate(self) -> "Filters":
        if self.status is not None and self.status not in STATUSES:
            raise ExportError(f"unknown status {self.status!r}; one of {', '.join(STATUSES)}")
        if self.needs is not None and self.needs not in SERVICES:
            raise ExportError(f"unknown service {self.needs!r}; one of {', '.join(SERVICES)}")
        return self

    def to_dict(self) -> Dict[str, object]:
        """The filters that are set (for the audit log)."""
        return {key: value for key, value in asdict(self).items() if value not in (None, False)}


def district_key(name: str) -> str:
    """'海淀区' and '海淀' both → '海淀'."""
    name = name.strip()
    return name[:-1] if name.endswith("区") and len(name) > 1 else name


def district_matches(value: Optional[str], wanted: str) -> bool:
    return value is not None and district_key(value) == district_key(wanted)


def matches(row: LedgerRow, filters: Filters) -> bool:
    reg = row.registration
    checks: List[Callable[[], bool]] = [
        lambda: filters.district is None or district_matches(reg.district, filters.district),
        lambda: filters.grad_year is None or reg.grad_year == filters.grad_year,
        lambda: filters.status is None or reg.status == filters.status,
        lambda: filters.needs is None or filters.needs in reg.services,
        lambda: not filters.difficulty or bool(reg.difficulty),
        lambda: not filters.owed or bool(owed_labels(row)),
    ]
    return all(check() for check in checks)


def select_rows(ledger: Ledger, filters: Filters) -> List[LedgerRow]:
    return [row for row in ledger.rows() if matches(row, filters)]


def beijing_time(value: Optional[datetime], fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored timestamp (UTC) as Beijing time, the way staff read it."""
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(BEIJING).strftime(fmt)


def row_cells(row: LedgerRow, reveal: bool = False) -> List[Cell]:
    """One row of the export, in the order of HEADERS (not yet neutralised)."""
    reg = row.registration
    return [
        row.ref,
        reg.name,
        reg.phone if reveal else mask_phone(reg.phone),
        reg.id_number if reveal else mask_id_number(reg.id_number),
        reg.school,
        reg.major,
        reg.degree,
        reg.grad_year,
        reg.age(),
        reg.district,
        reg.status,
        reg.intention,
        "、".join(reg.preferred_districts),
        "、".join(reg.service_labels()),
        "是" if reg.difficulty else "否",
        reg.difficulty_kind,
        "；".join(received_labels(row.follow_ups)),
        "；".join(owed_labels(row)),
        beijing_time(row.created_at),
        beijing_time(row.updated_at),
    ]


def clean_text(value: str) -> str:
    """Control characters removed (tab, CR and newline too)."""
    return _CONTROL.sub("", value)


def csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    text = clean_text(value)
    if text.startswith(_FORMULA_START) or _LONG_DIGITS.fullmatch(text):
        return "'" + text
    return text


def write_csv(path: Path, rows: Iterable[Sequence[Cell]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in rows:
            writer.writerow([csv_cell(value) for value in row])


def write_xlsx(path: Path, rows: Iterable[Sequence[Cell]]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "实名台账"
    sheet.append(HEADERS)
    for row_index, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            _xlsx_cell(sheet.cell(row=row_index, column=column), value)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{sheet.max_row}"
    _fit_columns(sheet)
    book.save(path)


def _fit_columns(sheet: Worksheet) -> None:
    """Column widths from the longest text (CJK characters count double), within 8–40."""
    for column in sheet.iter_cols():
        longest = max(display_width(str(cell.value)) for cell in column if cell.value is not None)
        sheet.column_dimensions[column[0].column_letter].width = min(max(longest + 2, 8), 40)


def display_width(text: str) -> int:
    """Columns a text takes on screen or in a cell: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _xlsx_cell(cell: XlsxCell, value: Cell) -> None:
    if value is None:
        return
    if isinstance(value, int):
        cell.value = value
        return
    cell.value = clean_text(value)
    # openpyxl turns any string starting with '=' into a formula: force a plain string cell,
    # and let Excel keep it as text even if someone edits it
    cell.data_type = "s"
    if cell.value.startswith(_FORMULA_START):
        cell.quotePrefix = True


_WRITERS: Dict[str, Callable[[Path, Iterable[Sequence[Cell]]], None]] = {"csv": write_csv, "xlsx": write_xlsx}


def export(ledger: Ledger, out: Union[str, Path], fmt: str, actor: str, filters: Filters = Filters(), reveal: bool = False) -> int:
    """Write the filtered ledger to `out` and record the export in the audit log; returns the
    number of rows. The file is written beside `out` first (mode 0600), then moved in place."""
    if fmt not in _WRITERS:
        raise ExportError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    filters.validate()
    target = Path(out).resolve()
    rows = [row_cells(row, reveal) for row in select_rows(ledger, filters)]
    _write_atomically(target, lambda path: _WRITERS[fmt](path, rows))
    ledger.audit(actor, "export", {"filters": filters.to_dict(), "format": fmt, "rows": len(rows), "reveal": reveal, "file": str(target)})
    return len(rows)


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".export-", suffix=target.suffix)
    os.close(fd)
    temp = Path(temp_name)
    try:
        write(temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
