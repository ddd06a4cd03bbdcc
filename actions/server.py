"""Action server entry point: validates the knowledge base first (a broken file stops start-up
with file, entry and field named), opens the ledger (migrating its schema), then serves the actions
on ACTIONS_PORT (default 5055).

Besides rasa-sdk's /webhook and /actions: GET /health (200, or 503 when the ledger database does
not answer), /health/live and /metrics (answers by action, fallback answers, knowledge-base
reloads; docs/observability.md). Metrics are per process: run one Sanic worker (the default)."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Optional

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from actions.fallback import ActionClarify, ActionOutOfScope
from actions.knowledge import open_store
from actions.storage import open_ledger
from ledger.config import LedgerConfigError
from policy_kb import KBError
from policy_kb.store import KBStore
from runtime.health import check, database_probe, in_thread
from runtime.logs import configure_or_exit
from runtime.metrics import ACTION_ANSWERS, ACTION_FAILURES, ACTIONS, FALLBACK_ANSWERS, KB_RELOADS, MEDIA_TYPE, render

if TYPE_CHECKING:
    from sanic import Sanic
    from sanic.request import Request
    from sanic.response import BaseHTTPResponse, HTTPResponse

# answers that did not answer the question (actions/fallback.py)
FALLBACK_ACTIONS = frozenset({ActionClarify().name(), ActionOutOfScope().name()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actions.server")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    configure_or_exit("action server")  # LOG_FORMAT, LOG_LEVEL; personal numbers masked (runtime/logs.py)
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

    from rasa_sdk import utils
    from rasa_sdk.endpoint import create_app

    app = create_app("actions")
    observe(app, store, ledger.engine)
    logging.getLogger(__name__).info("action server on http://%s:%d", args.host, args.port)
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers())
    return 0


def observe(app: "Sanic", store: KBStore, engine: Engine) -> None:
    """/health with the ledger's database probed, /health/live, /metrics, and the counting of
    every /webhook answer."""
    from sanic import response

    KB_RELOADS.follow(lambda: {(result,): float(count) for result, count in store.reloads.items()})
    probes = {"database": database_probe(engine, in_thread)}

    async def health(request: "Request") -> Optional["HTTPResponse"]:
        if request.path == "/health":  # rasa-sdk's own /health says ok without looking
            status, body = await check(probes)
            return response.json(body, status=status)
        return None

    async def count(request: "Request", answer: "BaseHTTPResponse") -> None:
        if request.path == "/webhook":
            count_answer(request, answer.status)

    async def live(request: "Request") -> "HTTPResponse":
        return response.json({"status": "ok"})

    async def metrics(request: "Request") -> "HTTPResponse":
        return response.text(render(ACTIONS), content_type=MEDIA_TYPE)

    app.register_middleware(health, "request")
    app.register_middleware(count, "response")
    app.add_route(live, "/health/live", methods=["GET"])
    app.add_route(metrics, "/metrics", methods=["GET"])


FAILURES = {400: "rejected", 404: "unknown_action"}


def count_answer(request: "Request", status: int) -> None:
    """One /webhook call: answered (by action; fallback actions counted apart too) or why not.
    Only answered names are labels: those are actions this server has."""
    if status != 200:
        ACTION_FAILURES.inc(1.0, (FAILURES.get(status, "error"),))
        return
    try:
        action = str((request.json or {}).get("next_action") or "unknown")
    except Exception:  # a body that is not JSON was not answered 200; be safe anyway
        action = "unknown"
    ACTION_ANSWERS.inc(1.0, (action,))
    if action in FALLBACK_ACTIONS:
        FALLBACK_ANSWERS.inc(1.0, (action,))


if __name__ == "__main__":
    sys.exit(main())
