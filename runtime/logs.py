"""One logging set-up for every process of the assistant (gateway, push worker, console, action
server, Rasa through nlu/server/serve.py), with phone and ID-card numbers masked in every record.

LOG_FORMAT  text (default): `2026-11-26 21:30:00,123 INFO bot.gateway - message`
            json: one object per line: {"ts", "level", "logger", "msg", "context"}, plus "exc"
            when the record carries an exception; `context` holds the record's `extra` fields
LOG_LEVEL   DEBUG, INFO (default), WARNING, ERROR (Rasa reads the same variable)

Masking (db/pii.py: anything shaped like a mobile or ID-card number, 139****5678) happens in
two places, so no path escapes it: a record factory masks the message, its arguments, the
exception text and the stack of every record when it is created, whichever handler later writes
it (Sanic's and uvicorn's own handlers included); the filter on our handler masks again once
`extra` fields are attached. Names cannot be recognised in free text: no process logs message
text at INFO; Rasa at DEBUG logs what graduates type, so production never runs Rasa at DEBUG.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any, Callable, Dict, Mapping, Optional

from db.pii import mask_personal_numbers

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s - %(message)s"
FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# attributes every LogRecord has; anything else on a record came from `extra`
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class LogConfigError(Exception):
    """LOG_FORMAT or LOG_LEVEL is malformed; the message names the variable."""


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message (arguments merged in), exception, stack and `extra` masked."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep what there is
        message = f"{record.msg} {record.args!r}"
    masked = mask_personal_numbers(str(message))
    if masked != message:  # else msg and args stay as they were (some formatters read the args)
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_personal_numbers(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_personal_numbers(record.stack_info)
    for key, value in _extra(record).items():
        if isinstance(value, str):
            setattr(record, key, mask_personal_numbers(value))
    return record


class PersonalDataFilter(logging.Filter):
    """Masks phone and ID-card shapes in each record it passes (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: Dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "context": {key: _jsonable(value) for key, value in _extra(record).items()},
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def configure_logging(env: Optional[Mapping[str, str]] = None, level: Optional[int | str] = None) -> None:
    """Root logger: one stderr handler in the chosen format, masking; every record masked at creation.
    `level` (Rasa's command-line choice) wins over LOG_LEVEL."""
    env = os.environ if env is None else env
    fmt = (env.get("LOG_FORMAT") or "text").strip().lower()
    if fmt not in FORMATS:
        raise LogConfigError(f"LOG_FORMAT: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if level is not None else _level(env))
    _install_record_factory()


def configure_or_exit(process: str) -> None:
    """configure_logging for a process's main(): a bad setting stops it with the variable named."""
    try:
        configure_logging()
    except LogConfigError as error:
        print(f"{process} not started: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def take_over_rasa_logging() -> None:
    """Rasa installs coloredlogs on the root logger at start (rasa.utils.io.configure_colored_logging,
    after reading --debug/--verbose/LOG_LEVEL); ours is installed in its place, at Rasa's level.
    Rasa's structlog events then go through the same handler (as their rendered message)."""
    import rasa.utils.io

    rasa.utils.io.configure_colored_logging = lambda level: configure_logging(level=level or None)  # type: ignore[assignment]


def _level(env: Mapping[str, str]) -> int:
    name = (env.get("LOG_LEVEL") or "INFO").strip().upper()
    if name not in LEVELS:
        raise LogConfigError(f"LOG_LEVEL: expected one of {', '.join(LEVELS)}, got {name!r}")
    return int(getattr(logging, name))


def _install_record_factory() -> None:
    current: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(current, "masks_personal_data", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(current(*args, **kwargs))

    factory.masks_personal_data = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _extra(record: logging.LogRecord) -> Dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return mask_personal_numbers(repr(value))
