"""`python -m ledger report`: the monthly report (督查通报) printed as a table or written as .xlsx.
Both show small counts as "<5" (ledger/report.py): what is printed is as easily passed on as a file."""
from __future__ import annotations

import argparse
import os
from contextlib import closing
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import yaml

from ledger.config import settings_from_env
from ledger.export import display_width, district_key
from ledger.report import (
    NOTE, ReportError, Month, build, export_xlsx, public_scoped, scope_text, table_headers, table_rows, title,
)
from ledger.store import Ledger
from policy_kb.loader import DEFAULT_DATA_DIR


def add_parser(commands: "argparse._SubParsersAction", staff_option: Callable[[argparse.ArgumentParser], None]) -> None:
    report = commands.add_parser("report", help="the monthly report (督查通报) of every district, or of one")
    report.add_argument("--month", required=True, help="YYYY-MM, e.g. 2022-09")
    report.add_argument("--district", help="one district and the city total (e.g. 海淀区 or 海淀)")
    report.add_argument("--format", choices=("text", "xlsx"), default="text")
    report.add_argument("--out", help="the .xlsx file to write (with --format xlsx)")
    staff_option(report)


def district_names() -> Dict[str, str]:
    """Every name and alias of the knowledge base's districts → the district's name."""
    folder = Path(os.environ.get("POLICY_KB_DIR") or DEFAULT_DATA_DIR)
    names: Dict[str, str] = {}
    for entry in yaml.safe_load((folder / "districts.yml").read_text(encoding="utf-8"))["districts"]:
        for alias in [entry["name"], *entry.get("aliases", [])]:
            names[district_key(alias)] = entry["name"]
    return names


def resolve_district(text: Optional[str]) -> Optional[str]:
    if text is None:
        return None
    name = district_names().get(district_key(text))
    if name is None:
        raise ReportError(f"unknown district {text!r}", f"不认识的区：{text}")
    return name


def run(args: argparse.Namespace, staff: Callable[[], str]) -> None:
    """Exit 2 (ReportError) on a bad month, district or output; nothing is written then."""
    month = Month.parse(args.month)
    district = resolve_district(args.district)
    if args.format == "xlsx" and not args.out:
        raise ReportError("--format xlsx needs --out FILE", "导出 Excel 需要指定文件")
    if args.out and args.format != "xlsx":
        raise ReportError("--out is for --format xlsx", "只有 Excel 格式写入文件")
    actor = staff() if args.out else ""
    with closing(Ledger.open(settings_from_env())) as ledger:
        report = build(ledger.engine, month)
        if args.out:
            target = export_xlsx(report, args.out, district)
            ledger.audit(actor, "report_export", {"month": str(month), "district": district, "file": str(target)})
            print(f"{month.label}月度通报已写入 {target}")
            return
    shown = public_scoped(report, district)
    print(title(report))
    print(scope_text(district))
    print()
    print_wide(table_headers(), table_rows(shown))
    print()
    print(NOTE)


def print_wide(headers: Sequence[str], rows: List[List[str]]) -> None:
    widths = [max(display_width(text) for text in column) for column in zip(headers, *rows)]
    for line in [list(headers), *rows]:
        print("  ".join(" " * (width - display_width(text)) + text for text, width in zip(line, widths)).rstrip())
