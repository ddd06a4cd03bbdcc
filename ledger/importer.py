"""Importing the handed-over list (五（一）): the education commission's list of Beijing-origin
unemployed graduates, as staff receive it (.xlsx or .csv, UTF-8 or GBK), into the ledger.

Three steps, so that nothing is written before staff have seen what will happen:

1. `read_list` reads the file (the header row may sit below a title row) and validates every row:
   name required; ID number (check digit, birth date) or phone needed to match the person; year,
   degree and district normalised (aliases such as 大专, 2022届, 海淀). A bad row is rejected with
   its spreadsheet row number and the reason, in Chinese ("第12行：身份证号校验位不对").
2. `preview` sorts the good rows, comparing only keyed hashes (crypto.Cipher.blind_index) with the
   ledger, so nothing is decrypted: rows to add; rows matching an existing record; rows repeating an
   earlier row of the same file; rows rejected because they clash with the ledger.
3. `commit` writes in one transaction exactly what the preview showed (it sorts again inside the
   transaction and refuses with ImportChanged if anything moved), with an import_batches row and
   an audit entry of counts only. Importing the same file again adds nothing.

A matched row never overwrites: it fills only the record's empty fields (what a graduate gave in
chat stays as they gave it), and marks the record as on the list (source 'import', listed_enc).
A graduate who registers in chat later is joined to their list entry by ledger.store.Ledger.save.
"""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml
from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from db.crypto import Cipher
from db.engine import now
from db.tables import DEGREES
from db.tables import import_batches, registrations
from ledger.fields import id_birth_date, id_check_digit, normalize_id_number, normalize_phone
from ledger.store import Ledger, new_ref
from policy_kb.loader import DEFAULT_DATA_DIR
from policy_kb.text import normalize_key

MAX_ROWS = 50_000
HEADER_SEARCH_ROWS = 10  # a title row or two (e.g. "2022届北京生源未就业毕业生名单") may come first
LOOKUP_CHUNK = 500  # hashes per IN (...) query
INSERT_CHUNK = 1000  # rows per executemany
EARLIEST_YEAR = 1990

# field → the column headers a school list may use for it (compared after normalize_header)
HEADER_ALIASES: Dict[str, Tuple[str, ...]] = {
    "name": ("姓名", "名字", "学生姓名", "毕业生姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "身份证", "公民身份号码", "身份证件号码", "证件号码", "证件号", "idnumber", "id"),
    "phone": ("手机", "手机号", "手机号码", "联系电话", "电话", "电话号码", "联系方式", "移动电话", "phone", "mobile"),
    "school": ("学校", "毕业院校", "毕业学校", "院校", "学校名称", "院校名称", "school"),
    "major": ("专业", "所学专业", "专业名称", "major"),
    "degree": ("学历", "学历层次", "培养层次", "degree", "education"),
    "grad_year": ("毕业年份", "届别", "毕业届别", "毕业时间", "毕业年度", "毕业年", "graduationyear", "gradyear", "year"),
    "district": ("户籍区", "户籍所在区", "户籍地区", "户籍所在地", "户籍", "生源地区", "生源区", "生源地", "district"),
}
# what a field is called in messages to staff
LABELS: Dict[str, str] = {"name": "姓名", "id_number": "身份证号", "phone": "手机号", "school": "学校", "major": "专业",
                          "degree": "学历", "grad_year": "毕业年份", "district": "户籍区"}
DEGREE_ALIASES: Dict[str, str] = {
    **{degree: degree for degree in DEGREES},
    "中职": "中专", "中等专业学校": "中专", "职高": "中专", "技工学校": "技校", "技工院校": "技校", "技师学院": "技校",
    "大专": "专科", "高职": "专科", "高职高专": "专科", "专科高职": "专科", "高职专科": "专科", "大学专科": "专科",
    "大学本科": "本科", "学士": "本科", "本科生": "本科",
    "研究生": "硕士", "硕士研究生": "硕士", "硕士生": "硕士", "专业硕士": "硕士", "学术硕士": "硕士",
    "博士研究生": "博士", "博士生": "博士",
}
TEXT_LIMITS = {"name": 50, "school": 100, "major": 100}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PARENTHESISED = re.compile(r"[(（][^)）]*[)）]")
_YEAR = re.compile(r"(\d{4})(?:届|年|[-./]|\s|$)")
_ID18 = re.compile(r"\d{17}[\dX]")
_DIGITS_AS_NUMBER = re.compile(r"\d(?:\.\d+)?e\+?\d+", re.IGNORECASE)  # 1.10101E+17: Excel showed a number


class ImportFileError(ValueError):
    """The file cannot be read as a list (format, encoding, missing column, no rows); the
    message, in Chinese, says what to fix."""


class ImportChanged(Exception):
    """The ledger changed between the preview and the commit: preview again."""


# ---- what a list holds -------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One valid row of the list: `line` is its row number in the spreadsheet."""

    line: int
    name: str
    id_number: Optional[str] = None
    phone: Optional[str] = None
    school: Optional[str] = None
    major: Optional[str] = None
    degree: Optional[str] = None
    grad_year: Optional[int] = None
    district: Optional[str] = None

    @property
    def birth_year(self) -> Optional[int]:
        born = id_birth_date(self.id_number) if self.id_number else None
        return born.year if born else None

    def listed(self) -> Dict[str, Any]:
        """The entry as kept in listed_enc (what the list said, without its row number)."""
        return {key: getattr(self, key) for key in LABELS}


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"第{self.line}行：{self.reason}"


@dataclass(frozen=True)
class Repeated:
    """A row naming the same graduate as an earlier row of the file: not imported twice."""

    line: int
    first_line: int

    def __str__(self) -> str:
        return f"第{self.line}行：与第{self.first_line}行重复"


@dataclass(frozen=True)
class Match:
    """A row naming a graduate already in the ledger: `fills` are the record's empty fields
    (LABELS keys) the row fills in; nothing already there is changed."""

    entry: Entry
    registration_id: int
    ref: str
    district: Optional[str]  # the record's
    registered: bool  # the graduate registered in chat (identity bound)
    fills: Tuple[str, ...]
    record: Any = field(default=None, compare=False, repr=False)  # the record as sorting read it


@dataclass(frozen=True)
class ListFile:
    """A read and validated list: the good rows and the rejected ones."""

    filename: str
    entries: List[Entry]
    rejected: List[Rejected]
    district: Optional[str] = None  # a district staff member's import: rows of this district only

    @property
    def total(self) -> int:
        return len(self.entries) + len(self.rejected)


@dataclass(frozen=True)
class Preview:
    filename: str
    total: int
    add: List[Entry]
    matched: List[Match]
    repeated: List[Repeated]
    rejected: List[Rejected]
    district: Optional[str] = None

    def counts(self) -> Dict[str, int]:
        return {"total": self.total, "added": len(self.add), "matched": len(self.matched),
                "repeated": len(self.repeated), "rejected": len(self.rejected)}

    def signature(self) -> Tuple[Any, ...]:
        """What the commit must find unchanged for it to write what staff saw."""
        return (tuple(e.line for e in self.add), tuple((m.entry.line, m.registration_id, m.fills) for m in self.matched),
                tuple(self.repeated), tuple(self.rejected))


@dataclass(frozen=True)
class Batch:
    id: int
    counts: Dict[str, int] = field(default_factory=dict)


# ---- districts -----------------------------------------------------------------------------------

class DistrictNames:
    """The knowledge base's district names and their aliases (policy_kb/data/districts.yml):
    '海淀', '海淀区', '北京市海淀区', '海澱區' → '海淀区'."""

    def __init__(self, names: Dict[str, Sequence[str]]) -> None:
        self.names = list(names)
        self._by_key: Dict[str, str] = {}
        for name, aliases in names.items():
            for alias in (name, *aliases):
                self._by_key[normalize_key(alias)] = name

    @classmethod
    def from_kb(cls, kb_dir: Path = DEFAULT_DATA_DIR) -> "DistrictNames":
        entries = yaml.safe_load((kb_dir / "districts.yml").read_text(encoding="utf-8"))["districts"]
        return cls({entry["name"]: entry.get("aliases") or [] for entry in entries})

    def canonical(self, text: str) -> Optional[str]:
        key = normalize_key(text)
        for prefix in ("北京市", "北京"):
            if key.startswith(prefix) and key[len(prefix):] in self._by_key:
                key = key[len(prefix):]
        return self._by_key.get(key)


# ---- reading the file ------------------------------------------------------------------------------

def read_table(data: bytes, filename: str) -> List[Tuple[int, List[Any]]]:
    """The file's non-empty rows with their spreadsheet row numbers (1-based)."""
    if not data:
        raise ImportFileError("文件是空的")
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(data)
    elif suffix == ".xlsx":
        rows = _xlsx_rows(data)
    elif suffix in (".xls", ".et", ".wps"):
        raise ImportFileError(f"不支持 {suffix} 旧格式：请在 Excel/WPS 中“另存为” .xlsx 或 CSV 后再导入")
    else:
        raise ImportFileError(f"不支持的文件格式（{suffix or '无扩展名'}）：请导入 .xlsx 或 .csv 文件")
    return [(line, cells) for line, cells in rows if any(_text(cell) for cell in cells)]


def _csv_rows(data: bytes) -> List[Tuple[int, List[Any]]]:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    rows: List[Tuple[int, List[Any]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for line, cells in enumerate(reader, start=1):
            if line > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise ImportFileError(f"名单超过 {MAX_ROWS} 行，请分成几个文件导入")
            rows.append((line, list(cells)))
    except csv.Error as error:
        raise ImportFileError(f"CSV 格式有误（第{reader.line_num}行附近）：{error}") from None
    return rows


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else GB18030 (GBK's
    superset: what Excel on a Chinese Windows writes)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: Tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise ImportFileError("无法识别文件的编码（应为 UTF-8 或 GBK 编码的 CSV）")


def _xlsx_rows(data: bytes) -> List[Tuple[int, List[Any]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError):
        raise ImportFileError("不是有效的 .xlsx 文件（文件损坏，或并非 Excel 工作簿）") from None
    try:
        if not book.worksheets:
            raise ImportFileError("工作簿里没有工作表")
        rows: List[Tuple[int, List[Any]]] = []
        for line, cells in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            if line > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise ImportFileError(f"名单超过 {MAX_ROWS} 行，请分成几个文件导入")
            rows.append((line, list(cells)))
        return rows
    finally:
        book.close()


def _text(value: Any) -> str:
    """A cell as trimmed text: numbers without a trailing .0, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return _CONTROL.sub("", str(value)).strip()


def normalize_header(value: Any) -> str:
    """'身份证号码（必填）', '* 姓名', 'ID Number' → '身份证号码', '姓名', 'idnumber'."""
    key = normalize_key(_PARENTHESISED.sub("", _text(value)))
    return re.sub(r"[*＊:：_\-]", "", key)


_HEADER_KEYS = {normalize_header(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


def find_header(rows: Sequence[Tuple[int, List[Any]]]) -> Tuple[int, Dict[str, int]]:
    """The header row (its position in `rows`) and field → column, among the first rows."""
    for position, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: Dict[str, int] = {}
        for column, cell in enumerate(cells):
            name = _HEADER_KEYS.get(normalize_header(cell))
            if name is not None and name not in columns:
                columns[name] = column
        if "name" in columns and len(columns) >= 2:
            if "id_number" not in columns and "phone" not in columns:
                raise ImportFileError("缺少必需的列：身份证号或手机号（至少要有一列，才能比对是否已在台账中）")
            return position, columns
    raise ImportFileError(f"找不到表头：前{HEADER_SEARCH_ROWS}行中没有“姓名”列（表头应有姓名、身份证号、手机号等列）")


# ---- validating rows -------------------------------------------------------------------------------

def read_list(data: bytes, filename: str, districts: DistrictNames, scope: Optional[str] = None,
              today: Optional[date] = None) -> ListFile:
    """The file read and every row validated; `scope`: a district staff member's district (rows of
    other districts are rejected, rows without a district are taken as theirs)."""
    rows = read_table(data, filename)
    position, columns = find_header(rows)
    body = rows[position + 1:]
    if not body:
        raise ImportFileError("名单里没有数据行（表头下面是空的）")
    today = today or date.today()
    entries: List[Entry] = []
    rejected: List[Rejected] = []
    for line, cells in body:
        raw = {name: cells[column] if column < len(cells) else None for name, column in columns.items()}
        entry, problems = validate_row(line, raw, districts, scope, today)
        if problems:
            rejected.append(Rejected(line, "；".join(problems)))
        else:
            assert entry is not None
            entries.append(entry)
    return ListFile(Path(filename).name[:200], entries, rejected, scope)


def validate_row(line: int, raw: Dict[str, Any], districts: DistrictNames, scope: Optional[str],
                 today: date) -> Tuple[Optional[Entry], List[str]]:
    """One row as an Entry, or the list of what is wrong with it."""
    problems: List[str] = []
    values: Dict[str, Any] = {}
    for name in ("name", "school", "major"):
        text = _text(raw.get(name))
        if len(text) > TEXT_LIMITS[name]:
            problems.append(f"{LABELS[name]}过长（最多{TEXT_LIMITS[name]}字）")
        values[name] = text or None
    if not values["name"]:
        problems.append("缺少姓名")
    elif re.search(r"\d", values["name"]):
        problems.append("姓名中有数字，请核对是否填错了列")
    values["id_number"] = _id_number(raw.get("id_number"), today, problems)
    values["phone"] = _phone(raw.get("phone"), problems)
    if values["id_number"] is None and values["phone"] is None and not any("身份证号" in p or "手机号" in p for p in problems):
        problems.append("缺少身份证号和手机号（至少填一项才能比对）")
    values["grad_year"] = _grad_year(raw.get("grad_year"), today, problems)
    values["degree"] = _degree(raw.get("degree"), problems)
    values["district"] = _district(raw.get("district"), districts, scope, problems)
    if problems:
        return None, problems
    return Entry(line=line, **values), []


def _id_number(value: Any, today: date, problems: List[str]) -> Optional[str]:
    text = re.sub(r"\s", "", _text(value))
    if not text:
        return None
    if isinstance(value, (int, float)) and len(str(int(value))) >= 16 or _DIGITS_AS_NUMBER.fullmatch(text):
        problems.append("身份证号被表格存成了数字，末几位已丢失（请把该列设为“文本”后重新导出）")
        return None
    found = normalize_id_number(text, today)
    if found is not None:
        return found
    upper = text.upper().replace("x", "X")
    if not _ID18.fullmatch(upper):
        problems.append("身份证号应为18位（前17位数字，最后一位数字或X）")
    elif id_check_digit(upper[:17]) != upper[17]:
        problems.append("身份证号校验位不对")
    else:
        problems.append("身份证号中的出生日期不对")
    return None


def _phone(value: Any, problems: List[str]) -> Optional[str]:
    text = _text(value)
    if not text:
        return None
    found = normalize_phone(text)
    if found is None:
        problems.append("手机号不对（应为11位手机号码）")
    return found


def _grad_year(value: Any, today: date, problems: List[str]) -> Optional[int]:
    text = _text(value)
    if not text:
        return None
    match = _YEAR.match(normalize_key(text))
    if match is None:
        problems.append(f"毕业年份无法识别：“{text[:20]}”（应如 2022、2022届）")
        return None
    year = int(match.group(1))
    if not EARLIEST_YEAR <= year <= today.year + 1:
        problems.append(f"毕业年份不合理：{year}")
        return None
    return year


def _degree(value: Any, problems: List[str]) -> Optional[str]:
    text = _text(value)
    if not text:
        return None
    found = DEGREE_ALIASES.get(normalize_key(text))
    if found is None:
        problems.append(f"学历无法识别：“{text[:20]}”（应为{'、'.join(DEGREES)}之一）")
    return found


def _district(value: Any, districts: DistrictNames, scope: Optional[str], problems: List[str]) -> Optional[str]:
    text = _text(value)
    if not text:
        return scope
    found = districts.canonical(text)
    if found is None:
        problems.append(f"户籍区无法识别：“{text[:20]}”（应为北京市的区，如“海淀区”）")
    elif scope is not None and found != scope:
        problems.append(f"户籍区为{found}，不属于本区（{scope}）的名单")
    return found


# ---- sorting against the ledger -------------------------------------------------------------------

@dataclass(frozen=True)
class _Keyed:
    entry: Entry
    id_hash: Optional[str]
    phone_hash: Optional[str]


def preview(ledger: Ledger, listed: ListFile) -> Preview:
    """What committing `listed` would do, written nowhere."""
    keyed = _keyed(ledger.cipher, listed.entries)
    with ledger.engine.connect() as conn:
        return _plan(conn, listed, keyed)


def _keyed(cipher: Cipher, entries: Iterable[Entry]) -> List[_Keyed]:
    return [_Keyed(e, cipher.blind_index("id", e.id_number), cipher.blind_index("phone", e.phone)) for e in entries]


def _plan(conn: Connection, listed: ListFile, keyed: List[_Keyed]) -> Preview:
    unique, repeated, rejected = _within_file(keyed)
    by_id = _existing(conn, registrations.c.id_hash, [k.id_hash for k in unique if k.id_hash])
    by_phone = _existing(conn, registrations.c.phone_hash, [k.phone_hash for k in unique if k.phone_hash])
    add: List[Entry] = []
    matched: List[Match] = []
    for each in unique:
        same_id = by_id.get(each.id_hash) if each.id_hash else None
        same_phone = by_phone.get(each.phone_hash) if each.phone_hash else None
        if same_id is not None and same_phone is not None and same_id.id != same_phone.id:
            rejected.append(Rejected(each.entry.line, "身份证号和手机号分别与台账中两条不同的记录相同，请核对"))
        elif same_id is None and same_phone is not None and each.id_hash and same_phone.id_hash:
            rejected.append(Rejected(each.entry.line, "手机号已登记在另一个身份证号名下，请核对"))
        elif same_id is not None or same_phone is not None:
            record = same_id if same_id is not None else same_phone
            assert record is not None
            matched.append(Match(each.entry, int(record.id), str(record.ref), record.district,
                                 record.identity is not None, _fills(record, each.entry), record))
        else:
            add.append(each.entry)
    every_rejected = sorted([*listed.rejected, *rejected], key=lambda r: r.line)
    return Preview(listed.filename, listed.total, add, matched, repeated, every_rejected, listed.district)


def _within_file(keyed: List[_Keyed]) -> Tuple[List[_Keyed], List[Repeated], List[Rejected]]:
    """Rows naming the same graduate as an earlier row (same ID number; or same phone, unless both
    rows have different ID numbers — then two people share a phone, which the ledger cannot hold)."""
    first_by_id: Dict[str, _Keyed] = {}
    first_by_phone: Dict[str, _Keyed] = {}
    unique: List[_Keyed] = []
    repeated: List[Repeated] = []
    rejected: List[Rejected] = []
    for each in keyed:
        earlier = first_by_id.get(each.id_hash) if each.id_hash else None
        if earlier is None and each.phone_hash:
            earlier = first_by_phone.get(each.phone_hash)
            if earlier is not None and earlier.id_hash and each.id_hash and earlier.id_hash != each.id_hash:
                rejected.append(Rejected(each.entry.line, f"手机号与第{earlier.entry.line}行相同，但身份证号不同，请核对"))
                continue
        if earlier is not None:
            repeated.append(Repeated(each.entry.line, earlier.entry.line))
            continue
        unique.append(each)
        if each.id_hash:
            first_by_id[each.id_hash] = each
        if each.phone_hash:
            first_by_phone[each.phone_hash] = each
    return unique, repeated, rejected


# what sorting needs of a record: whether its ciphertexts are there, not the ciphertexts themselves
_LOOKUP_COLUMNS = [registrations.c.id, registrations.c.ref, registrations.c.identity, registrations.c.district,
                   registrations.c.id_hash, registrations.c.phone_hash, registrations.c.name_enc.is_(None).label("no_name"),
                   registrations.c.school, registrations.c.major, registrations.c.degree, registrations.c.grad_year,
                   registrations.c.birth_year, registrations.c.source, registrations.c.listed_enc.is_(None).label("no_entry"),
                   registrations.c.import_batch_id]


def _existing(conn: Connection, column: Any, hashes: List[str]) -> Dict[str, Row]:
    found: Dict[str, Row] = {}
    for start in range(0, len(hashes), LOOKUP_CHUNK):
        chunk = hashes[start:start + LOOKUP_CHUNK]
        for row in conn.execute(select(*_LOOKUP_COLUMNS).where(column.in_(chunk))):
            found[row._mapping[column.name]] = row
    return found


def _fills(record: Row, entry: Entry) -> Tuple[str, ...]:
    """The record's empty fields this entry has a value for."""
    stored = {"name": None if record.no_name else True, "id_number": record.id_hash, "phone": record.phone_hash, "school": record.school,
              "major": record.major, "degree": record.degree, "grad_year": record.grad_year, "district": record.district}
    return tuple(key for key in LABELS if stored[key] is None and getattr(entry, key) is not None)


# ---- writing -------------------------------------------------------------------------------------------

def commit(ledger: Ledger, listed: ListFile, staff: str, shown: Preview) -> Batch:
    """Write `listed` as `shown` previewed it, in one transaction; ImportChanged if the ledger
    moved since (nothing written). Returns the batch with its counts."""
    try:
        return _commit(ledger, listed, staff, shown)
    except IntegrityError:
        # a chat registration with one of the list's numbers committed while this one ran
        # (PostgreSQL; SQLite's writers wait for each other): rolled back, nothing written
        raise ImportChanged() from None


def _commit(ledger: Ledger, listed: ListFile, staff: str, shown: Preview) -> Batch:
    keyed = _keyed(ledger.cipher, listed.entries)
    keys = {k.entry.line: k for k in keyed}
    with ledger.engine.begin() as conn:
        plan = _plan(conn, listed, keyed)
        if plan.signature() != shown.signature():
            raise ImportChanged()
        counts = plan.counts()
        stamp = now()
        batch_id = conn.execute(import_batches.insert().values(
            filename=listed.filename, staff=staff, total=counts["total"], added=counts["added"], matched=counts["matched"],
            rejected=counts["rejected"], duplicates=counts["repeated"], district=listed.district, created_at=stamp,
        )).inserted_primary_key[0]
        rows = [_new_record(ledger.cipher, keys[entry.line], batch_id, stamp) for entry in plan.add]
        for start in range(0, len(rows), INSERT_CHUNK):
            conn.execute(registrations.insert(), rows[start:start + INSERT_CHUNK])
        for match in plan.matched:
            _fill(conn, ledger.cipher, match, keys[match.entry.line], batch_id, stamp)
        ledger._audit(conn, staff, "import", {"batch": batch_id, **counts, "district": listed.district})
    return Batch(int(batch_id), counts)


def _encrypted_entry(cipher: Cipher, entry: Entry) -> Optional[str]:
    return cipher.encrypt(json.dumps(entry.listed(), ensure_ascii=False))


def _new_record(cipher: Cipher, keyed: _Keyed, batch_id: int, stamp: datetime) -> Dict[str, Any]:
    entry = keyed.entry
    return {
        "ref": new_ref(), "channel": "import", "identity": None,
        "name_enc": cipher.encrypt(entry.name), "phone_enc": cipher.encrypt(entry.phone), "phone_hash": keyed.phone_hash,
        "id_enc": cipher.encrypt(entry.id_number), "id_hash": keyed.id_hash,
        "school": entry.school, "major": entry.major, "degree": entry.degree, "grad_year": entry.grad_year,
        "birth_year": entry.birth_year, "district": entry.district, "difficulty": False,
        "source": "import", "import_batch_id": batch_id, "listed_enc": _encrypted_entry(cipher, entry),
        "created_at": stamp, "updated_at": stamp,
    }


def _fill(conn: Connection, cipher: Cipher, match: Match, keyed: _Keyed, batch_id: int, stamp: datetime) -> None:
    """Fill the matched record's empty fields, and mark it as on the list (first list kept)."""
    record = match.record
    entry = keyed.entry
    values: Dict[str, Any] = {}
    for key in match.fills:
        if key == "name":
            values["name_enc"] = cipher.encrypt(entry.name)
        elif key == "phone":
            values.update(phone_enc=cipher.encrypt(entry.phone), phone_hash=keyed.phone_hash)
        elif key == "id_number":
            values.update(id_enc=cipher.encrypt(entry.id_number), id_hash=keyed.id_hash)
            if record.birth_year is None:
                values["birth_year"] = entry.birth_year
        else:
            values[key] = getattr(entry, key)
    if record.source != "import":
        values["source"] = "import"
    if record.no_entry:
        values["listed_enc"] = _encrypted_entry(cipher, entry)
    if record.import_batch_id is None:
        values["import_batch_id"] = batch_id
    if values:
        conn.execute(update(registrations).where(registrations.c.id == match.registration_id).values(**values, updated_at=stamp))


def recent_batches(ledger: Ledger, district: Optional[str] = None, limit: int = 20) -> List[Dict[str, Any]]:
    """The latest import batches (a district's own when `district` is given), newest first."""
    query = select(import_batches).order_by(import_batches.c.id.desc()).limit(limit)
    if district is not None:
        query = query.where(import_batches.c.district == district)
    with ledger.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def import_file(ledger: Ledger, path: Path, staff: str, districts: Optional[DistrictNames] = None,
                dry_run: bool = False) -> Tuple[Preview, Optional[Batch]]:
    """The command line's import: preview, then (unless `dry_run`) commit."""
    listed = read_list(Path(path).read_bytes(), Path(path).name, districts or DistrictNames.from_kb())
    shown = preview(ledger, listed)
    if dry_run:
        return shown, None
    return shown, commit(ledger, listed, staff, shown)


def preview_lines(shown: Preview, most: int = 50) -> List[str]:
    """The preview as staff read it on the command line: counts, then the rows not added."""
    counts = shown.counts()
    lines = [f"{shown.filename}：共 {counts['total']} 行；新增 {counts['added']}，与台账已有记录匹配 {counts['matched']}，"
             f"文件内重复 {counts['repeated']}，不能导入 {counts['rejected']}",
             "（匹配的记录只补填空白项，不改动已有内容，包括毕业生在对话中填写的）"]
    sections: List[Tuple[str, List[str]]] = [
        ("不能导入：", [str(r) for r in shown.rejected]),
        ("文件内重复（只导入第一行）：", [str(r) for r in shown.repeated]),
        ("与台账已有记录匹配：", [f"第{m.entry.line}行：{m.ref}" + (f"，补填{'、'.join(LABELS[f] for f in m.fills)}" if m.fills else "")
                          for m in shown.matched]),
    ]
    for title, items in sections:
        if items:
            lines.append(title)
            lines += [f"  {item}" for item in items[:most]]
            if len(items) > most:
                lines.append(f"  …… 另有 {len(items) - most} 行")
    return lines
