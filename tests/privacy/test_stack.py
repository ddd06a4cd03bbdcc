"""Personal data out of the stored conversations, end to end: registrations through the REST
channel on the real Rasa + action server, whose Rasa keeps conversations in Redis or PostgreSQL
through nlu.server.private_store; then Redis and the events table are read raw, and the logs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
import redis
from sqlalchemy import create_engine, text

from devstack.stack import ROOT, Stack
from ledger.config import settings_from_env
from ledger.store import Ledger
from nlu.server.private_store import MERGED_BY_RASA
from tests.conftest import TEST_LEDGER_ENV, Conversation, free_port
from tests.privacy.conftest import EXPIRE_SECONDS

pytestmark = pytest.mark.stack

PHONE, ID_NUMBER = "13987654321", "110108199903074215"
# as the graduate types them: plainly on one stack, with separators and full-width digits on the other
PLAIN, SEPARATED = (PHONE, ID_NUMBER), ("139.8765–4321", "１１０１０８ 1999 0307-4215")
NAME_IN_SENTENCE, NAME_ALONE = "林晓雨", "林小雨"
REST = ["北京工业大学", "会计学", "本科", "2022", "23", "海淀", "未就业", "行政文员", "不限", "1 2", "不属于"]


def secrets(*names: str) -> List[str]:
    """What must never be stored or logged, as typed and as JSON escapes it (Rasa's SQL store
    writes ASCII-escaped JSON)."""
    typed = [*names, *SEPARATED, "139.8765", "8765–4321", "19990307", "0307-4215"]
    return [PHONE, ID_NUMBER, "1398765", "gAAAAA", *typed] + [json.dumps(value)[1:-1] for value in typed]


def register(talk: Conversation, typed: Tuple[str, str]) -> str:
    """Name inside a sentence with the phone, the ID number, the rest; then the name corrected,
    typed alone; then submitted."""
    phone, id_number = typed
    assert "同意" in talk.text("我要登记")
    talk.text("同意")
    assert "身份证" in talk.text(f"我叫{NAME_IN_SENTENCE}，手机{phone}")
    talk.text(id_number)
    for answer in REST:
        summary = talk.text(answer)
    assert NAME_IN_SENTENCE in summary and "139****4321" in summary  # the graduate sees their own name
    assert "姓名" in talk.text("改姓名")
    assert NAME_ALONE in talk.text(NAME_ALONE)
    return talk.text("确认提交")


def registered(stack: Stack, sender: str, ledger: Ledger, typed: Tuple[str, str]) -> None:
    talk = Conversation(stack, sender)
    try:
        assert "登记成功" in register(talk, typed)
        found = ledger.find(sender)
        assert found is not None
        reg = found.registration
        assert (reg.name, reg.phone, reg.id_number) == (NAME_ALONE, PHONE, ID_NUMBER)  # the registration got them all
    finally:
        talk.http.close()
        ledger.delete(sender)
        ledger.delete_draft(sender)


def assert_private(raw: str, where: str) -> None:
    for secret in secrets(NAME_IN_SENTENCE, NAME_ALONE):
        assert secret not in raw, f"{secret!r} found in {where}"


@pytest.fixture(scope="module")
def redis_registration(redis_stack: Stack, ledger_for_module: Ledger) -> str:
    sender = "web:privacy-redis"
    registered(redis_stack, sender, ledger_for_module, SEPARATED)
    return sender


@pytest.fixture(scope="module")
def sql_registration(sql_stack: Tuple[Stack, str], ledger_for_module: Ledger) -> str:
    sender = "web:privacy-sql"
    registered(sql_stack[0], sender, ledger_for_module, PLAIN)
    return sender


@pytest.fixture(scope="module")
def ledger_for_module() -> Iterator[Ledger]:
    opened = Ledger.open(settings_from_env(TEST_LEDGER_ENV))
    yield opened
    opened.close()


def test_redis_holds_no_name_phone_or_id_and_expires(redis_registration: str, redis_client: "redis.Redis[bytes]") -> None:
    keys = [key.decode() for key in redis_client.keys("*")]
    assert f"rasa:tracker:{redis_registration}" in keys
    raw = "\n".join((redis_client.get(key) or b"").decode() for key in keys if redis_client.type(key) == b"string")
    assert_private(raw, "Redis")
    assert json.dumps("〔姓名〕")[1:-1] in raw and "139****4321" in raw  # the conversation is there, masked
    assert 0 < redis_client.ttl(f"rasa:tracker:{redis_registration}") <= EXPIRE_SECONDS


def test_redis_saves_each_turn_as_a_continuation_of_what_it_stored(redis_registration: str, redis_stack: Stack,
                                                                    redis_client: "redis.Redis[bytes]") -> None:
    """A whole registration through the real Rasa: every save took the store's own path, never
    Rasa's rebuild-and-merge, and what is stored is the conversation Rasa serves back."""
    assert MERGED_BY_RASA not in (redis_stack.log_dir / "rasa.log").read_text(encoding="utf-8")
    stored = json.loads(redis_client.get(f"rasa:tracker:{redis_registration}") or b"{}")["events"]
    talk = Conversation(redis_stack, redis_registration)
    try:
        served = talk.http.get(f"/conversations/{redis_registration}/tracker").json()["events"]
    finally:
        talk.http.close()
    assert len(stored) > 40 and [e["event"] for e in stored] == [e["event"] for e in served]


def test_postgresql_holds_no_name_phone_or_id(sql_registration: str, sql_stack: Tuple[Stack, str]) -> None:
    engine = create_engine(sql_stack[1], future=True)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sender_id, type_name, data FROM events")).all()
    engine.dispose()
    assert any(row.sender_id == sql_registration and row.type_name == "user" for row in rows)
    raw = "\n".join(f"{row.sender_id} {row.data}" for row in rows)
    assert_private(raw, "the events table")
    assert json.dumps("〔姓名〕")[1:-1] in raw


def test_the_tracker_rasa_serves_back_is_the_private_one(sql_registration: str, sql_stack: Tuple[Stack, str]) -> None:
    stack, _ = sql_stack
    talk = Conversation(stack, sql_registration)
    try:
        tracker = talk.http.get(f"/conversations/{sql_registration}/tracker").json()
    finally:
        talk.http.close()
    assert_private(json.dumps(tracker, ensure_ascii=False), "the tracker")


@pytest.mark.parametrize("which", ["redis", "sql"])
def test_logs_hold_no_name_phone_or_id(which: str, request: pytest.FixtureRequest) -> None:
    request.getfixturevalue(f"{which}_registration")
    stack = request.getfixturevalue(f"{which}_stack")
    stack = stack[0] if isinstance(stack, tuple) else stack
    for log in ("rasa.log", "actions.log"):
        assert_private((stack.log_dir / log).read_text(encoding="utf-8", errors="replace"), log)


def test_json_logs_from_rasa_and_the_action_server(redis_registration: str, redis_stack: Stack) -> None:
    for log in ("rasa.log", "actions.log"):
        lines = [json.loads(line) for line in (redis_stack.log_dir / log).read_text(encoding="utf-8").splitlines()
                 if line.startswith('{"ts"')]
        assert lines and all({"ts", "level", "logger", "msg", "context"} <= set(line) for line in lines), log
    assert any("tracker store: redis" in line for line in (redis_stack.log_dir / "rasa.log").read_text(encoding="utf-8").splitlines())


def test_a_broken_tracker_store_url_stops_rasa_naming_the_variable(tmp_path: Path) -> None:
    """The store is built before the model is loaded: any file does as the model."""
    endpoints, model = tmp_path / "endpoints.yml", tmp_path / "model.tar.gz"
    endpoints.write_text("tracker_store:\n  type: nlu.server.private_store.PrivateTrackerStore\n", encoding="utf-8")
    model.write_bytes(b"not a model")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "TRACKER_STORE_URL": "mongodb://u:s3cret@db/x"}
    done = subprocess.run([sys.executable, "-m", "nlu.server.serve", "--interface", "127.0.0.1", "--port", str(free_port()),
                           "--model", str(model), "--endpoints", str(endpoints)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "TRACKER_STORE_URL: expected a redis:// or postgresql:// URL" in output, output[-2000:]
    assert "s3cret" not in output
