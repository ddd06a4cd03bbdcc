"""Staff command line for the ledger: `python -m ledger <command>`.

  migrate                       apply pending schema migrations
  new-key                       print fresh LEDGER_KEYS / LEDGER_HASH_KEY values
  rotate-keys --staff NAME      re-encrypt everything with the newest key
  purge --staff NAME            erase what is past its retention time
  export --format csv|xlsx --out FILE [filters] [--reveal] --staff NAME
  follow-up add REF --kind KIND --date YYYY-MM-DD [--note TEXT] --staff NAME
  status [--district X] [--owed]   who has been served, who is still owed what
  contact add REF --method M --reached yes|no [--status S] [--next YYYY-MM-DD] [--date YYYY-MM-DD]
              [--note TEXT] --staff NAME      record a contact attempt and what it learned
  contact unreached|due [--district X]        who is not reached yet; whose follow-up is due this week
  audit                         the audit log
  import FILE --staff NAME [--dry-run]   the handed-over list (.xlsx/.csv): preview, then write
  report --month YYYY-MM [--district X] [--format xlsx --out FILE]   the monthly report (督查通报)

Settings come from the environment (ledger/config.py). A bad setting or argument prints a
message and exits with status 2 without changing anything.
"""
from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import sys
from contextlib import closing
from datetime import date
from typing import Callable, Dict, List, Optional, Sequence

from sqlalchemy.exc import OperationalError

from db.crypto import CipherError, new_key
from db.engine import make_engine
from db.migrations import migrate
from db.pii import mask_name
from db.tables import CONTACT_METHODS, CONTACT_STATUSES
from ledger import report_cli
from ledger.config import LedgerConfigError, settings_from_env
from ledger.contacts import Attempt, ContactBook, ContactError, Graduate, beijing_today, week_end
from ledger.export import ExportError, Filters, beijing_time, display_width, district_matches, export
from ledger.fields import FOLLOW_UP_KINDS, SERVICES, STATUSES
from ledger.followup import owed_labels, received_labels, summarize, summary_lines
from ledger.report import ReportError
from ledger.store import Ledger, LedgerRow, UnknownRegistration


class UsageError(Exception):
    """A bad argument found after parsing (unknown reference, …): exit 2, nothing changed."""


def _default_staff() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): staff must say who they are
        return ""


def _service_date(text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    if value > date.today():
        raise argparse.ArgumentTypeError(f"date is in the future: {text}")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _year(text: str) -> int:
    if not text.isdigit() or len(text) != 4:
        raise argparse.ArgumentTypeError(f"not a year: {text!r}")
    return int(text)


def _staff_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--staff", default=_default_staff(), help="who does this (default: your login name)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ledger", description="Staff tools for the graduates' registration ledger.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply pending schema migrations")
    commands.add_parser("new-key", help="print new LEDGER_KEYS and LEDGER_HASH_KEY values")
    for name, text in (("rotate-keys", "re-encrypt every value with the newest key"), ("purge", "erase what is past its retention time")):
        _staff_option(commands.add_parser(name, help=text))

    exp = commands.add_parser("export", help="write the ledger as CSV or .xlsx")
    exp.add_argument("--format", choices=("csv", "xlsx"), required=True)
    exp.add_argument("--out", required=True, help="file to write")
    exp.add_argument("--district", help="e.g. 海淀区 or 海淀")
    exp.add_argument("--grad-year", type=_year)
    exp.add_argument("--status", choices=STATUSES)
    exp.add_argument("--needs", choices=list(SERVICES), help="graduates who asked for this service")
    exp.add_argument("--difficulty", action="store_true", help="families in difficulty only")
    exp.add_argument("--owed", action="store_true", help="only graduates still owed a service")
    exp.add_argument("--reveal", action="store_true", help="full phone and ID numbers (recorded in the audit log)")
    _staff_option(exp)

    follow = commands.add_parser("follow-up", help="record services given").add_subparsers(dest="action", required=True)
    add = follow.add_parser("add", help="record one service given to a graduate")
    add.add_argument("ref", help="registration number, e.g. QZ-7K3M-9PXA")
    add.add_argument("--kind", choices=list(FOLLOW_UP_KINDS), required=True)
    add.add_argument("--date", type=_service_date, required=True, help="YYYY-MM-DD")
    add.add_argument("--note")
    _staff_option(add)

    status = commands.add_parser("status", help="services given and still owed")
    status.add_argument("--district")
    status.add_argument("--owed", action="store_true", help="only graduates still owed a service")
    commands.add_parser("audit", help="print the audit log")
    imp = commands.add_parser("import", help="import the handed-over list of graduates (.xlsx or .csv)")
    imp.add_argument("file", help="the list, .xlsx or .csv (UTF-8 or GBK)")
    imp.add_argument("--dry-run", action="store_true", help="show the preview only, write nothing")
    _staff_option(imp)
    _contact_parser(commands)
    report_cli.add_parser(commands, _staff_option)
    return parser


def _contact_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    contact = commands.add_parser("contact", help="contact attempts and follow-ups (real-name list)").add_subparsers(
        dest="action", required=True)
    add = contact.add_parser("add", help="record one contact attempt")
    add.add_argument("ref", help="registration number, e.g. QZ-7K3M-9PXA")
    add.add_argument("--method", choices=list(CONTACT_METHODS), required=True)
    add.add_argument("--reached", choices=("yes", "no"), required=True)
    add.add_argument("--status", choices=list(CONTACT_STATUSES), help="the status learned (when reached)")
    add.add_argument("--next", type=_day, help="next follow-up, YYYY-MM-DD (no_wish: 30 days on by default)")
    add.add_argument("--date", type=_day, help="date of the attempt, YYYY-MM-DD (default: today, Beijing time)")
    add.add_argument("--note")
    _staff_option(add)
    for name, text in (("unreached", "graduates on the list not reached yet"), ("due", "follow-ups due by the end of this week")):
        contact.add_parser(name, help=text).add_argument("--district", help="e.g. 海淀区 or 海淀")


def _require_staff(args: argparse.Namespace) -> str:
    staff = (getattr(args, "staff", "") or "").strip()
    if not staff:
        raise UsageError("--staff: say who you are (no login name found)")
    return staff


def _open() -> Ledger:
    return Ledger.open(settings_from_env())


def cmd_migrate(args: argparse.Namespace) -> None:
    engine = make_engine(settings_from_env().database_url)
    try:
        applied = migrate(engine)
    finally:
        engine.dispose()
    print(f"applied: {', '.join(map(str, applied))}" if applied else "schema up to date")


def cmd_new_key(args: argparse.Namespace) -> None:
    print(f"LEDGER_KEYS={new_key().decode('ascii')}")
    print(f"LEDGER_HASH_KEY={base64.urlsafe_b64encode(os.urandom(32)).decode('ascii')}")


def cmd_rotate_keys(args: argparse.Namespace) -> None:
    staff = _require_staff(args)
    with closing(_open()) as ledger:
        print(f"re-encrypted: {ledger.rotate_keys(staff)}")


def cmd_purge(args: argparse.Namespace) -> None:
    staff = _require_staff(args)
    with closing(_open()) as ledger:
        result = ledger.purge_expired(staff)
    print(f"drafts dropped: {result['drafts']}, registrations erased: {result['registrations']}")


def cmd_export(args: argparse.Namespace) -> None:
    staff = _require_staff(args)
    filters = Filters(args.district, args.grad_year, args.status, args.needs, args.difficulty, args.owed)
    with closing(_open()) as ledger:
        count = export(ledger, args.out, args.format, staff, filters, args.reveal)
    print(f"{count} rows written to {args.out}")


def cmd_follow_up(args: argparse.Namespace) -> None:
    staff = _require_staff(args)
    ref = args.ref.strip().upper()
    with closing(_open()) as ledger:
        try:
            ledger.add_follow_up(ref, args.kind, args.date, args.note, staff)
        except UnknownRegistration:
            raise UsageError(f"no registration {ref}") from None
    print(f"{ref}: {FOLLOW_UP_KINDS[args.kind]} recorded ({args.date.isoformat()})")


def cmd_status(args: argparse.Namespace) -> None:
    with closing(_open()) as ledger:
        rows = [row for row in ledger.rows() if args.district is None or district_matches(row.registration.district, args.district)]
    shown = [row for row in rows if not args.owed or owed_labels(row)]
    print_table(["登记编号", "姓名", "居住区", "就业状态", "已提供服务", "尚欠服务"], [_status_cells(row) for row in shown])
    print()
    for line in summary_lines(summarize(rows)):
        print(line)


def _status_cells(row: LedgerRow) -> List[str]:
    reg = row.registration
    return [row.ref, mask_name(reg.name), reg.district or "", reg.status or "", "；".join(received_labels(row.follow_ups)) or "-", "；".join(owed_labels(row)) or "-"]


def cmd_contact(args: argparse.Namespace) -> None:
    if args.action == "add":
        staff = _require_staff(args)
        ref = args.ref.strip().upper()
        attempt = Attempt(args.date or beijing_today(), args.method, args.reached == "yes", args.status, args.next, args.note)
        with closing(_open()) as ledger:
            try:
                saved = ContactBook(ledger).record(ref, attempt, staff)
            except UnknownRegistration:
                raise UsageError(f"no registration {ref}") from None
            except ContactError as error:
                raise UsageError(f"--{error.field}: {error}") from None
        learned = f", {CONTACT_STATUSES[saved.status]}" if saved.status else ""
        follow = f"; next follow-up {saved.next_follow_up.isoformat()}" if saved.next_follow_up else ""
        print(f"{ref}: {CONTACT_METHODS[saved.method]} {saved.contact_date.isoformat()}, "
              f"{'reached' if saved.reached else 'not reached'}{learned} recorded{follow}")
        return
    today = beijing_today()
    with closing(_open()) as ledger:
        book = ContactBook(ledger)
        shown = book.unreached(args.district)[1] if args.action == "unreached" else book.due(args.district, today)
    headers = ["登记编号", "姓名", "学校", "居住区", "联系次数", "最近联系"]
    if args.action == "due":
        headers += ["就业状态", "跟进日期"]
    print_table(headers, [_contact_cells(g, args.action == "due", today) for g in shown])
    print()
    print(f"未联系到: {len(shown)}" if args.action == "unreached" else f"本周（至 {week_end(today).isoformat()}）到期: {len(shown)}")


def _contact_cells(g: Graduate, due: bool, today: date) -> List[str]:
    last = f"{g.last_date.isoformat()} {CONTACT_METHODS.get(g.last_method or '', '')}" if g.last_date else "-"
    cells = [g.ref, g.name, g.school or "", g.district or "", str(g.attempts), last]
    if due and g.due is not None:
        cells += [CONTACT_STATUSES.get(g.status or "", "-"), g.due.isoformat() + ("（已逾期）" if g.due < today else "")]
    return cells


def cmd_audit(args: argparse.Namespace) -> None:
    with closing(_open()) as ledger:
        entries = ledger.audit_entries()
    for entry in entries:
        print(f"{beijing_time(entry['at'], '%Y-%m-%d %H:%M:%S')}  {entry['actor']}  {entry['action']}  {json.dumps(entry['detail'], ensure_ascii=False, sort_keys=True)}")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(display_width(text) for text in column) for column in zip(headers, *rows)]
    for line in [headers, *rows]:
        print("  ".join(text + " " * (width - display_width(text)) for text, width in zip(line, widths)).rstrip())


def cmd_import(args: argparse.Namespace) -> None:
    from ledger.importer import ImportChanged, ImportFileError, import_file, preview_lines

    staff = _require_staff(args)
    with closing(_open()) as ledger:
        try:
            shown, batch = import_file(ledger, args.file, staff, dry_run=args.dry_run)
        except ImportFileError as error:
            raise UsageError(f"{args.file}: {error}") from None
        except ImportChanged:
            raise UsageError("the ledger changed while importing; nothing written, run the import again") from None
    for line in preview_lines(shown):
        print(line)
    print("dry run: nothing written" if batch is None else f"written: import batch {batch.id}")


COMMANDS: Dict[str, Callable[[argparse.Namespace], None]] = {
    "migrate": cmd_migrate,
    "new-key": cmd_new_key,
    "rotate-keys": cmd_rotate_keys,
    "purge": cmd_purge,
    "export": cmd_export,
    "follow-up": cmd_follow_up,
    "status": cmd_status,
    "audit": cmd_audit,
    "import": cmd_import,
    "contact": cmd_contact,
    "report": lambda args: report_cli.run(args, lambda: _require_staff(args)),
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        COMMANDS[args.command](args)
    except (LedgerConfigError, UsageError, ExportError, ReportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except CipherError as error:
        print(f"error: {error} (check LEDGER_KEYS)", file=sys.stderr)
        return 2
    except OperationalError as error:
        print(f"error: database unavailable: {error.orig}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
