"""Action server entry point: validates the knowledge base first (a broken file stops start-up
with file, entry and field named), opens the ledger (migrating its schema), then serves the actions
on ACTIONS_PORT (default 5055)."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from sqlalchemy.exc import SQLAlchemyError

from actions.knowledge import open_store
from actions.registration.storage import open_ledger
from ledger.config import LedgerConfigError
from policy_kb import KBError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actions.server")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    try:
        store = open_store()
    except KBError as error:
        print(f"action server not started: {error}", file=sys.stderr)
        return 2
    logging.getLogger(__name__).info("knowledge base loaded from %s", store.data_dir)
    try:
        ledger = open_ledger()
    except (LedgerConfigError, SQLAlchemyError) as error:
        print(f"action server not started: ledger: {error}", file=sys.stderr)
        return 2
    logging.getLogger(__name__).info("ledger on %s", ledger.engine.url.render_as_string(hide_password=True))

    from rasa_sdk.endpoint import run

    os.environ["SANIC_HOST"] = args.host  # rasa-sdk reads the bind address from here
    run(action_package_name="actions", port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
