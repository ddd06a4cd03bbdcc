"""Import benchmark (docs/performance.md, "Importing the handed-over list"): a list of N graduates
(default 10,000) as .xlsx and as GBK CSV, read, previewed and committed into an empty ledger on
SQLite and on PostgreSQL (a database of its own on TEST_POSTGRES_URL's server, dropped after), then
the same file again (every row matches, nothing added). Target: under 30 s for 10,000 rows.

    .venv/bin/python -m scripts.benchmark_import [--rows 10000] [--databases sqlite,postgresql]
"""
from __future__ import annotations

import argparse
import io
import platform
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Dict, Iterator, List

from openpyxl import Workbook

from db.crypto import new_key
from ledger.config import LedgerSettings
from ledger.fields import id_check_digit
from ledger.importer import DistrictNames, commit, preview, read_list
from ledger.store import Ledger
from tests.databases import postgres_database

HEADER = ["姓名", "身份证号码", "手机号码", "毕业院校", "专业", "学历", "届别", "户籍所在区"]
DISTRICTS = ["东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区", "通州区", "顺义区", "昌平区",
             "大兴区", "怀柔区", "平谷区", "密云区", "延庆区"]
DEGREES = ["专科", "本科", "本科", "硕士", "大专", "研究生"]


def graduates(count: int) -> List[List[str]]:
    rows = []
    for n in range(count):
        first = f"110108{(date(1999, 1, 1) + timedelta(days=n // 900)):%Y%m%d}{n % 900:03d}"
        rows.append([f"毕业生{chr(0x4e00 + n % 2000)}{chr(0x4e00 + n // 2000)}", first + id_check_digit(first), f"139{n:08d}",
                     "北京某大学", "会计学", DEGREES[n % len(DEGREES)], f"{2021 + n % 2}届", DISTRICTS[n % len(DISTRICTS)]])
    return rows


def as_xlsx(rows: List[List[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["2022届北京生源未就业毕业生名单"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_gbk_csv(rows: List[List[str]]) -> bytes:
    return "\r\n".join(",".join(row) for row in [HEADER, *rows]).encode("gbk")


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'ledger.sqlite3'}"
    else:
        with postgres_database("import_bench") as url:
            yield url


def measure(url: str, data: bytes, name: str) -> Dict[str, float]:
    ledger = Ledger.open(LedgerSettings(url, [new_key()], b"b" * 32))
    names = DistrictNames.from_kb()
    figures: Dict[str, float] = {}
    try:
        for run in ("first", "again"):
            started = time.perf_counter()
            listed = read_list(data, name, names)
            read_at = time.perf_counter()
            shown = preview(ledger, listed)
            previewed_at = time.perf_counter()
            batch = commit(ledger, listed, "benchmark", shown)
            done = time.perf_counter()
            figures.update({f"{run}_read": read_at - started, f"{run}_preview": previewed_at - read_at,
                            f"{run}_commit": done - previewed_at, f"{run}_total": done - started,
                            f"{run}_added": batch.counts["added"], f"{run}_matched": batch.counts["matched"]})
    finally:
        ledger.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    rows = graduates(args.rows)
    files = {"名单.xlsx": as_xlsx(rows), "名单.csv": as_gbk_csv(rows)}
    print(f"{args.rows} rows; {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print("| database | file | read | preview | commit | total | again (all match) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for kind in args.databases.split(","):
        for name, data in files.items():
            with database(kind) as url:
                f = measure(url, data, name)
            assert f["first_added"] == args.rows and f["again_added"] == 0 and f["again_matched"] == args.rows
            print(f"| {kind} | {name} ({len(data) // 1024} KB) | {f['first_read']:.2f} s | {f['first_preview']:.2f} s | "
                  f"{f['first_commit']:.2f} s | **{f['first_total']:.2f} s** | {f['again_total']:.2f} s |")


if __name__ == "__main__":
    main()
