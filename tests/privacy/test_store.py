"""nlu/server/private_store.py in process: the rewrite before saving, the event broker fed only the
rewritten events, settings failing by name, and the expiry of idle conversations (memory, and
SQL on the real PostgreSQL server)."""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from pathlib import Path
from typing import Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

import pytest
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import RedisTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.slots import AnySlot
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from nlu.server.private_store import SWEEP_SECONDS, ContinuingRedisTrackerStore, PrivateTrackerStore, continued_events, StoreSettings, TrackerStoreConfigError, private_tracker, settings_from_env
from nlu.server.redaction import MARKER_KEY, find_spans, marker
from tests.databases import postgres_database

NAME = "林晓雨"
REDIS = urlsplit(os.environ.get("TEST_REDIS_URL_PRIVACY", "redis://127.0.0.1:6379/12"))
DOMAIN = Domain.empty()
SLOTS = [AnySlot("active_task", mappings=[{"type": "custom"}], influence_conversation=False),
         AnySlot("session_started_metadata", mappings=[{"type": "custom"}], influence_conversation=False)]


def turn(said: str, reply: str, name: Optional[str] = NAME, at: Optional[float] = None) -> List[Event]:
    """One registration turn as Rasa logs it: the message, the action, its reply, its slot event
    carrying the marker (as actions/registration/action.py sends it)."""
    known = {"姓名": name} if name else {}
    metadata = {MARKER_KEY: marker(find_spans(said, known), [(0, *s) for s in find_spans(reply, known)])} if name else {}
    events = [UserUttered(said, {"name": "inform", "confidence": 0.4}, [{"entity": "x", "value": name or "", "start": 0, "end": 1}],
                          metadata={"sealed_text": "gAAAAA-sealed"}),
              ActionExecuted("action_registration"), BotUttered(reply, {"buttons": [{"title": "确认提交", "payload": "确认提交"}]}),
              SlotSet("active_task", "action_registration", metadata=metadata), ActionExecuted("action_listen")]
    return [ActionExecuted("action_listen")] + events if at is None else [_at(e, at) for e in [ActionExecuted("action_listen"), *events]]


def _at(event: Event, timestamp: float) -> Event:
    event.timestamp = timestamp
    return event


def tracker(sender: str, events: List[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, events, slots=SLOTS)


def dump(t: DialogueStateTracker) -> str:
    return json.dumps([e.as_dict() for e in t.events], ensure_ascii=False)


def test_marked_name_numbers_and_sealed_text_are_taken_out() -> None:
    original = tracker("s", turn("我叫林晓雨，手机13987654321", f"记下了：姓名 {NAME}，手机号 139****4321"))
    stored = dump(private_tracker(original))
    assert NAME not in stored and "13987654321" not in stored and "gAAAAA-sealed" not in stored and MARKER_KEY not in stored
    assert "我叫〔姓名〕，手机139****4321" in stored and "记下了：姓名 〔姓名〕" in stored
    assert NAME in dump(original)  # the tracker Rasa keeps using in this turn is untouched
    assert [type(e) for e in private_tracker(original).events] == [type(e) for e in original.events]


def test_the_sealed_text_copied_into_the_session_start_slot_is_dropped() -> None:
    start = SlotSet("session_started_metadata", {"sealed_text": "gAAAAA-sealed", "channel": "web"})
    stored = private_tracker(tracker("s", [start, *turn("我叫林晓雨，手机13987654321", "好的")]))
    assert "gAAAAA-sealed" not in dump(stored) and stored.events[0].value == {"channel": "web"}


def test_a_tracker_without_personal_data_is_saved_as_it_is() -> None:
    plain = tracker("s", turn("见习补贴怎么申请", "【见习补贴】…", name=None))
    plain.events[1].metadata = {}
    assert private_tracker(plain) is plain


def test_the_event_broker_gets_only_rewritten_events(tmp_path: Path) -> None:
    broker = SQLEventBroker(db=str(tmp_path / "broker.db"))
    store = PrivateTrackerStore(DOMAIN, event_broker=broker, settings=StoreSettings(None))
    first = turn("林晓雨", f"好的，{NAME}。手机号是多少？")
    second = turn("我的身份证110108199903074215", "学校？", name=None)
    asyncio.run(store.save(tracker("b", first)))
    asyncio.run(store.save(tracker("b", [*first, *second[1:]])))  # Rasa saves the whole tracker each turn
    engine = create_engine(f"sqlite:///{tmp_path / 'broker.db'}")
    with engine.connect() as conn:
        published = [row.data for row in conn.execute(text("SELECT data FROM events ORDER BY id"))]
    engine.dispose()
    raw = "\n".join(published)
    assert len(published) == len(first) + len(second) - 1  # each event once (the second turn's listen repeats the first's)
    for secret in (NAME, json.dumps(NAME)[1:-1], "110108199903074215", "gAAAAA-sealed"):
        assert secret not in raw
    assert json.dumps("〔姓名〕")[1:-1] in raw


@pytest.mark.parametrize("env, variable", [
    ({"TRACKER_STORE_URL": "mysql://u@h/db"}, "TRACKER_STORE_URL"),
    ({"TRACKER_STORE_URL": "redis://127.0.0.1:6379/tracker"}, "TRACKER_STORE_URL"),
    ({"TRACKER_STORE_URL": "redis://127.0.0.1:port/1"}, "TRACKER_STORE_URL"),
    ({"TRACKER_STORE_URL": "postgresql://u:s3cret@db:5432"}, "TRACKER_STORE_URL"),
    ({"TRACKER_EXPIRE_SECONDS": "7d"}, "TRACKER_EXPIRE_SECONDS"),
    ({"TRACKER_EXPIRE_SECONDS": "0"}, "TRACKER_EXPIRE_SECONDS"),
])
def test_a_bad_setting_names_the_variable(env: dict, variable: str) -> None:
    with pytest.raises(TrackerStoreConfigError, match=variable) as raised:
        settings_from_env(env)
    assert "s3cret" not in str(raised.value)


def test_settings_defaults() -> None:
    assert settings_from_env({}) == StoreSettings(None, 604800)
    assert settings_from_env({"TRACKER_STORE_URL": "redis://r:6379/1", "TRACKER_EXPIRE_SECONDS": "60"}).backend == "redis"
    assert settings_from_env({"TRACKER_STORE_URL": "postgresql://u@h/db"}).backend == "postgresql"


def test_idle_conversations_expire_in_memory() -> None:
    store = PrivateTrackerStore(DOMAIN, settings=StoreSettings(None, expire_seconds=60))
    store._last_sweep = time.monotonic()  # swept below, by hand
    asyncio.run(store.save(tracker("old", turn("林晓雨", "好的"))))
    asyncio.run(store.save(tracker("new", turn("林晓雨", "好的"))))
    store._last_saved["old"] -= 120
    assert asyncio.run(store.purge_expired()) == 1
    assert asyncio.run(store.retrieve("old")) is None and asyncio.run(store.retrieve("new")) is not None


def test_idle_conversations_expire_in_postgresql() -> None:
    """The sweep a save starts (at most every SWEEP_SECONDS) deletes every event of the
    conversations idle longer than the expiry, and nothing else."""
    with postgres_database("tracker_purge") as url:
        store = PrivateTrackerStore(DOMAIN, settings=StoreSettings(url, expire_seconds=60))

        async def scenario() -> None:
            store._last_sweep = time.monotonic()  # not due yet
            await store.save(tracker("old", turn("林晓雨", "好的", at=time.time() - 3600)))
            await store.save(tracker("new", turn("林晓雨", "好的")))
            assert store._sweep is None
            store._last_sweep -= 2 * SWEEP_SECONDS  # due: the next save sweeps
            await store.save(tracker("new", turn("林晓雨", "好的")))
            assert store._sweep is not None
            await store._sweep

        asyncio.run(scenario())
        with store.inner.engine.connect() as conn:  # type: ignore[attr-defined]
            left = dict(conn.execute(text("SELECT sender_id, count(*) FROM events GROUP BY sender_id")).all())
        store.inner.engine.dispose()  # type: ignore[attr-defined]
        assert "old" not in left and left["new"] > 0


# ---- the Redis backend's save (ContinuingRedisTrackerStore) ------------------------------------

def session(first: bool, *questions: str) -> List[List[Event]]:
    """A session as Rasa logs it: the session start, then one question and its answer per turn."""
    start: List[Event] = [ActionExecuted("action_session_start"), SessionStarted(),
                          SlotSet("session_started_metadata", {"channel": "wx"}), ActionExecuted("action_listen")]
    turns: List[List[Event]] = [start] if first else [[ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]]
    for number, question in enumerate(questions):
        parse = {"intent": {"name": "faq", "confidence": 0.93}, "entities": [{"entity": "policy", "value": "社保补贴", "start": 0, "end": 4}],
                 "intent_ranking": [{"name": "faq", "confidence": 0.93}, {"name": "ask_policy", "confidence": 0.05}],
                 "response_selector": {"all_retrieval_intents": ["faq"], "faq": {"response": {"responses": None, "confidence": 0.9},
                                                                                "ranking": [{"confidence": 0.9, "intent_response_key": "faq/social"}]}}}
        turns.append([UserUttered(question, parse["intent"], parse["entities"], parse_data=parse, metadata={"msg_id": number}),
                      ActionExecuted("action_answer", policy="RulePolicy", confidence=1.0),
                      BotUttered(f"答：{question}", {"buttons": [{"title": "更多", "payload": "/more"}]}, {"source": "通知 二（一）"}),
                      ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0)])
    return turns


def played(store: TrackerStore, sender: str, turns: List[List[Event]]) -> bytes:
    """Each turn as Rasa runs it: retrieve (the latest session), add the turn's events, save."""
    async def play() -> None:
        for events in turns:
            current = await store.retrieve(sender) or tracker(sender, [])
            current.update_with_events(events, domain=None, override_timestamp=False)
            await store.save(current)
    asyncio.run(play())
    return store.red.get(store.key_prefix + sender)  # type: ignore[attr-defined]


@pytest.fixture
def redis_stores() -> Iterator[Tuple[TrackerStore, TrackerStore]]:
    """Rasa's own Redis store and ours, each under a key prefix of its own on the test Redis."""
    tag = secrets.token_hex(4)
    settings = dict(host=REDIS.hostname, port=REDIS.port, db=int(REDIS.path.strip("/")), record_exp=600)
    rasas, ours = RedisTrackerStore(DOMAIN, key_prefix=f"rasa{tag}", **settings), ContinuingRedisTrackerStore(DOMAIN, key_prefix=f"ours{tag}", **settings)
    yield rasas, ours
    for store in (rasas, ours):
        for key in store.red.scan_iter(match=f"{store.key_prefix}*"):
            store.red.delete(key)


def test_redis_save_stores_exactly_what_rasas_own_save_stores(redis_stores: Tuple[TrackerStore, TrackerStore]) -> None:
    turns = session(True, "社保补贴怎么申请", "见习补贴多少钱", "我还能领吗") + session(False, "一次性扩岗补助是什么", "在哪里办")
    rasas, ours = redis_stores
    expected, stored = played(rasas, "grad-1", turns), played(ours, "grad-1", turns)
    assert stored == expected
    assert len(json.loads(stored)["events"]) == sum(len(t) for t in turns)  # the first session kept
    assert 0 < ours.red.ttl(ours.key_prefix + "grad-1") <= 600  # type: ignore[attr-defined]


def test_redis_save_of_a_tracker_that_does_not_continue_the_stored_one_takes_rasas_merge(
        redis_stores: Tuple[TrackerStore, TrackerStore]) -> None:
    turns = session(True, "社保补贴怎么申请", "见习补贴多少钱")
    later = time.time() + 5  # another turn saved from a tracker holding only that turn
    other = [_at(e, later) for e in session(True, "我想登记")[1]]
    rasas, ours = redis_stores
    for store in redis_stores:
        played(store, "grad-2", turns)

    async def save_other(store: TrackerStore) -> bytes:
        await store.save(tracker("grad-2", other))
        return store.red.get(store.key_prefix + "grad-2")  # type: ignore[attr-defined]
    assert asyncio.run(save_other(ours)) == asyncio.run(save_other(rasas))


def test_a_save_after_another_replica_saved_reads_the_conversation_again(redis_stores: Tuple[TrackerStore, TrackerStore]) -> None:
    """Replica A read the conversation, replica B saved a turn since (no lock held in between:
    what Rasa's lock normally prevents), then A saves: A must see B's turn, as Rasa's own store
    does, not the value it read before."""
    first, second = session(True, "社保补贴怎么申请"), session(True, "见习补贴多少钱")[1]
    later = time.time() + 5
    third = [_at(e, later) for e in session(True, "我还能领吗")[1]]
    rasas, ours = redis_stores
    results = []
    for store in (rasas, ours):
        replica_b = type(store)(DOMAIN, key_prefix=store.key_prefix.split(":")[0], host=REDIS.hostname, port=REDIS.port,
                                db=int(REDIS.path.strip("/")), record_exp=600)
        played(store, "grad-3", first)

        async def interleaved() -> bytes:
            seen = await store.retrieve("grad-3")  # replica A reads
            await replica_b.save(tracker("grad-3", [e for t in first for e in t] + second))  # replica B saves a turn
            seen.update_with_events(third, domain=None, override_timestamp=False)
            await store.save(seen)  # replica A saves
            return store.red.get(store.key_prefix + "grad-3")  # type: ignore[attr-defined]
        results.append(asyncio.run(interleaved()))
    assert results[1] == results[0]
    assert len(json.loads(results[1])["events"]) == sum(len(t) for t in first) + len(second) + len(third)


def test_a_stored_conversation_is_continued_without_rasas_merge() -> None:
    """The fast path holds after the JSON round trip the stored value went through."""
    events = [e.as_dict() for t in session(True, "社保补贴怎么申请", "见习补贴多少钱") for e in t]
    stored = json.loads(json.dumps({"events": events[:-5]}))["events"]
    assert continued_events(stored, events) == events
    latest = events.index(next(e for e in events[1:] if e.get("name") == "action_listen"))  # a later point to start from
    assert continued_events(stored, events[latest:]) == events
    edited = [*events[:4], {**events[4], "text": "改过的问题"}, *events[5:]]
    assert continued_events(stored, edited) is None
