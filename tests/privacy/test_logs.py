"""runtime/logs.py: one set-up for every process; phone and ID-card numbers masked in every record."""
from __future__ import annotations

import io
import json
import logging
from typing import Iterator

import pytest

from runtime.logs import LogConfigError, configure_logging

PHONE, ID_NUMBER = "13912345678", "110108199903074215"


@pytest.fixture
def fresh_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, factory = root.handlers[:], root.level, logging.getLogRecordFactory()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.setLogRecordFactory(factory)


def test_json_lines_with_context_and_everything_masked(fresh_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging({"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"})
    log = logging.getLogger("tests.privacy")
    log.info("registration for %s", PHONE, extra={"sender": f"web:{PHONE}", "turn": 3})
    try:
        raise ValueError(f"bad ID {ID_NUMBER}")
    except ValueError:
        log.exception("failed for %s", ID_NUMBER)
    log.debug("not written at INFO %s", PHONE)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["level"] for line in lines] == ["INFO", "ERROR"]
    first, second = lines
    assert first["logger"] == "tests.privacy" and first["ts"].endswith("Z")
    assert first["msg"] == "registration for 139****5678"
    assert first["context"] == {"sender": "web:139****5678", "turn": 3}
    assert second["msg"] == "failed for 1101**********4215"
    assert "ValueError: bad ID 1101**********4215" in second["exc"]
    assert PHONE not in json.dumps(lines) and ID_NUMBER not in json.dumps(lines)


def test_text_format_and_records_written_by_a_library_handler_are_masked(fresh_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging({})
    logging.getLogger("tests.privacy").warning("phone +86 139-1234-5678")
    assert "WARNING tests.privacy - phone 139****5678" in capsys.readouterr().err
    # a logger with a handler of its own that does not propagate (as Sanic's access log does)
    stream = io.StringIO()
    own = logging.getLogger("tests.privacy.own")
    own.addHandler(logging.StreamHandler(stream))
    own.propagate = False
    try:
        own.error("id %s", ID_NUMBER)
    finally:
        own.handlers.clear()
        own.propagate = True
    assert stream.getvalue().strip() == "id 1101**********4215"


def test_numbers_written_with_separators_are_masked(fresh_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging({"LOG_FORMAT": "json"})
    logging.getLogger("tests.privacy").warning("said %s / %s", "139.1234.5678", "110108 1999 0307 4215",
                                               extra={"text": "手机１３９－１２３４－５６７８"})
    line = json.loads(capsys.readouterr().err.splitlines()[-1])
    assert line["msg"] == "said 139****5678 / 1101**********4215"
    assert line["context"] == {"text": "手机139****5678"}


def test_a_record_without_personal_numbers_keeps_its_arguments(fresh_logging: None) -> None:
    configure_logging({})
    record = logging.getLogger("tests.privacy").makeRecord("x", logging.INFO, "f", 1, "%s %s", ("a", 1), None)
    assert record.args == ("a", 1) and record.getMessage() == "a 1"


@pytest.mark.parametrize("env, variable", [({"LOG_FORMAT": "xml"}, "LOG_FORMAT"), ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL")])
def test_a_bad_setting_names_the_variable(fresh_logging: None, env: dict, variable: str) -> None:
    with pytest.raises(LogConfigError, match=variable):
        configure_logging(env)
