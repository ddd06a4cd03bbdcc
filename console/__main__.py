"""`python -m console [serve]`: the staff console on CONSOLE_HOST:CONSOLE_PORT (127.0.0.1:8090);
/metrics on CONSOLE_METRICS_HOST:CONSOLE_METRICS_PORT (unset = off), apart from the console.

  add-user NAME --role city|district [--district 海淀区] [--identity tg:123]
  set-password NAME             (also ends the user's sessions)

The password is asked for twice at the prompt, or taken from STAFF_PASSWORD (scripts, tests).
The ledger database and keys come from DATABASE_URL, LEDGER_KEYS, LEDGER_HASH_KEY (ledger/config.py).
A bad setting or argument prints a message and exits with status 2 without changing anything.
"""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from contextlib import closing
from typing import Optional, Sequence

from sqlalchemy.exc import OperationalError

from console.accounts import ROLES, StaffError
from console.app import create_app, staff_store
from console.config import ConsoleConfigError, ConsoleSettings, settings_from_env
from console.passwords import PasswordError, check_strength
from runtime.logs import configure_or_exit
from ledger.config import LedgerConfigError
from ledger.config import settings_from_env as ledger_settings
from ledger.store import Ledger

log = logging.getLogger("console")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m console", description="The bureau's staff web console.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the console (the default)")
    add = commands.add_parser("add-user", help="create a staff account")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--district", help="district staff: their district, e.g. 海淀区")
    add.add_argument("--identity", help="their own chat for test sends, e.g. tg:123456")
    reset = commands.add_parser("set-password", help="set a new password (ends the user's sessions)")
    reset.add_argument("username")
    return parser


def read_password() -> str:
    password = os.environ.get("STAFF_PASSWORD")
    if password is None:
        password = getpass.getpass("密码 (至少 10 位): ")
        if getpass.getpass("再输入一次: ") != password:
            raise PasswordError("password: the two entries differ")
    check_strength(password)
    return password


def add_user(args: argparse.Namespace, settings: ConsoleSettings) -> None:
    password = read_password()
    with closing(Ledger.open(ledger_settings())) as ledger:
        staff_store(settings, ledger).add_user(args.username, password, args.role, args.district, args.identity,
                                               list(settings.districts))
    print(f"staff account {args.username} ({args.role}{' ' + args.district if args.district else ''}) created")


def set_password(args: argparse.Namespace, settings: ConsoleSettings) -> None:
    password = read_password()
    with closing(Ledger.open(ledger_settings())) as ledger:
        staff_store(settings, ledger).set_password(args.username, password)
    print(f"password of {args.username} changed")


def serve(settings: ConsoleSettings) -> None:
    import uvicorn

    ledger = Ledger.open(ledger_settings())
    if staff_store(settings, ledger).count() == 0:
        log.warning("no staff accounts yet: create one with `python -m console add-user NAME --role city`")
    log.info("console on http://%s:%d/console; metrics: %s", settings.host, settings.port,
             f"http://{settings.metrics.host}:{settings.metrics.port}/metrics" if settings.metrics else "off")
    try:
        # access log off: the paths carry registration numbers; proxy headers: only from FORWARDED_ALLOW_IPS,
        # by the app (console/proxies.py), not by uvicorn (it would believe any loopback client)
        uvicorn.run(create_app(settings, ledger), host=settings.host, port=settings.port, log_level="info",
                    access_log=False, ws="none", proxy_headers=False)
    finally:
        ledger.close()


def main(argv: Optional[Sequence[str]] = None) -> int:
    configure_or_exit("console")  # LOG_FORMAT, LOG_LEVEL; personal numbers masked (runtime/logs.py)
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_env()
        if args.command == "add-user":
            add_user(args, settings)
        elif args.command == "set-password":
            set_password(args, settings)
        else:
            serve(settings)
    except (ConsoleConfigError, LedgerConfigError, StaffError, PasswordError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OperationalError as error:
        print(f"error: database unavailable: {error.orig}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
