"""Rasa's tracker store with personal data taken out before anything is stored or streamed.

endpoints.yml:  tracker_store:
                  type: nlu.server.private_store.PrivateTrackerStore

TRACKER_STORE_URL       unset: in memory (the embedded default, one process)
                        redis://[:password@]host:port/db (rediss:// for TLS): Rasa's RedisTrackerStore,
                          keys `rasa:tracker:<sender id>`, each expiring TRACKER_EXPIRE_SECONDS after
                          the conversation's last save
                        postgresql://user[:password]@host:port/dbname: Rasa's SQLTrackerStore (table
                          `events`); conversations idle longer than TRACKER_EXPIRE_SECONDS are deleted
                          by a sweep that runs after a save at most every SWEEP_SECONDS
TRACKER_EXPIRE_SECONDS  how long an idle conversation is kept (default 604800 = 7 days; the
                        registration itself lives in the ledger, so an expired conversation loses
                        nothing but context)

Every save first rewrites the tracker (nlu/server/redaction.py): the spans an action marked as personal
(a name typed in free text, in the user's message and in the replies that echo it) become
〔姓名〕, anything shaped like a phone or ID-card number is masked, the sealed original text
(`sealed_text`, for the action server only) is dropped, and the marker itself is removed. The
backend's own save then stores and streams (event broker) only the rewritten events, so the raw
text never reaches Redis, PostgreSQL or a broker. Rasa saves once per handled message, after the
actions ran, so the action server still receives the message as typed.

A setting that is wrong stops Rasa at start-up with the variable named (TrackerStoreConfigError).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Text, Union
from urllib.parse import parse_qsl, unquote, urlsplit

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from db.pii import SEALED_KEY, has_personal_numbers, mask_personal_numbers
from nlu.server.redaction import MARKER_KEY, Span, placeholder, read_marker

log = logging.getLogger(__name__)

DEFAULT_EXPIRE_SECONDS = 604800
REDIS_KEY_PREFIX = "rasa"  # Rasa appends ":tracker:"; the lock store uses `rasa:lock:`
SWEEP_SECONDS = 600.0
READ_KEPT = 256  # turns in flight whose stored value a save may compare with (beyond that: read again); ≤ 256 × ~80 KB
MERGED_BY_RASA = "tracker store: the saved conversation did not continue the stored one; merged as Rasa does"


class TrackerStoreConfigError(Exception):
    """TRACKER_STORE_URL or TRACKER_EXPIRE_SECONDS is malformed; the message names the variable.
    (Not an ImportError or AttributeError: Rasa would quietly fall back to memory on those.)"""


@dataclass(frozen=True)
class StoreSettings:
    url: Optional[str]  # None: in memory
    expire_seconds: int = DEFAULT_EXPIRE_SECONDS

    @property
    def backend(self) -> str:
        if self.url is None:
            return "memory"
        return "redis" if urlsplit(self.url).scheme in ("redis", "rediss") else "postgresql"


def settings_from_env(env: Optional[Mapping[str, str]] = None) -> StoreSettings:
    env = os.environ if env is None else env
    raw = (env.get("TRACKER_EXPIRE_SECONDS") or "").strip()
    if raw and not (raw.isdigit() and int(raw) > 0):
        raise TrackerStoreConfigError(f"TRACKER_EXPIRE_SECONDS: expected a whole number of seconds above 0, got {raw!r}")
    url = (env.get("TRACKER_STORE_URL") or "").strip() or None
    if url is not None:
        _check_url(url)
    return StoreSettings(url, int(raw) if raw else DEFAULT_EXPIRE_SECONDS)


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as error:
        raise TrackerStoreConfigError(f"TRACKER_STORE_URL: not a URL ({error})") from None
    scheme, path = parts.scheme, parts.path.strip("/")
    if scheme in ("redis", "rediss"):
        if not parts.hostname or (path and not path.isdigit()):
            raise TrackerStoreConfigError(f"TRACKER_STORE_URL: expected redis://host:port/db (db a number), got {_safe(url)!r}")
    elif scheme in ("postgresql", "postgresql+psycopg2"):
        if not parts.hostname or not path:
            raise TrackerStoreConfigError(f"TRACKER_STORE_URL: expected postgresql://user@host:port/dbname, got {_safe(url)!r}")
    else:
        raise TrackerStoreConfigError(f"TRACKER_STORE_URL: expected a redis:// or postgresql:// URL (or unset for memory), got {_safe(url)!r}")


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def _backend(settings: StoreSettings, domain: Optional[Domain], broker: Optional[EventBroker]) -> TrackerStore:
    if settings.url is None:
        return InMemoryTrackerStore(domain or Domain.empty(), broker)
    parts = urlsplit(settings.url)
    password = unquote(parts.password) if parts.password else None
    username = unquote(parts.username) if parts.username else None
    if settings.backend == "redis":
        return ContinuingRedisTrackerStore(domain or Domain.empty(), host=parts.hostname or "localhost", port=parts.port or 6379,
                                 db=int(parts.path.strip("/") or 0), username=username, password=password,
                                 event_broker=broker, record_exp=settings.expire_seconds, key_prefix=REDIS_KEY_PREFIX,
                                 use_ssl=parts.scheme == "rediss")
    return SQLTrackerStore(domain, dialect="postgresql", host=parts.hostname, port=parts.port, db=parts.path.strip("/"),
                           username=username, password=password, event_broker=broker, query=dict(parse_qsl(parts.query)) or None)


class ContinuingRedisTrackerStore(RedisTrackerStore):
    """Rasa's Redis tracker store, saving without rebuilding what is stored.

    `retrieve` hands Rasa only the conversation's latest session, so Rasa's `save` reads the stored
    conversation back to keep the earlier sessions: it rebuilds the stored tracker (every event
    replayed), replays the new one back to the stored one's last timestamp and compares the two
    event lists, only to find, turn after turn, that the new events simply continue the stored
    ones (a fifth of Rasa's CPU per turn under load, more as conversations grow). Here that is
    checked on the stored JSON's event dicts; only when it fails does Rasa's merge run. What is
    stored is the same either way.

    Nor is the stored conversation fetched again: the save compares with what `retrieve` read a
    moment before (under the conversation's lock), once Redis confirms the stored value still has
    that length (events are only ever added, so a save by another replica in between changes it);
    otherwise it is read again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read: "OrderedDict[str, bytes]" = OrderedDict()  # sender -> the stored value retrieve read

    def deserialise_tracker(self, sender_id: Text, serialised_tracker: Union[Text, bytes]) -> Optional[DialogueStateTracker]:
        raw = serialised_tracker.encode("utf-8") if isinstance(serialised_tracker, str) else serialised_tracker
        self._read[sender_id] = raw
        self._read.move_to_end(sender_id)
        while len(self._read) > READ_KEPT:
            self._read.popitem(last=False)
        return super().deserialise_tracker(sender_id, serialised_tracker)

    def _stored(self, key: str, sender_id: Text) -> Optional[bytes]:
        read = self._read.pop(sender_id, None)
        if read is not None and self.red.strlen(key) == len(read):
            return read
        return self.red.get(key)

    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        await self.stream_events(tracker)
        key = self.key_prefix + tracker.sender_id
        events = [event.as_dict() for event in tracker.events]
        stored = self._stored(key, tracker.sender_id)
        if stored is not None:
            merged = continued_events(json.loads(stored).get("events") or [], events)
            if merged is None:  # not a continuation (edited history, a truncated tracker): Rasa's merge
                log.info(MERGED_BY_RASA)
                prior = super().deserialise_tracker(tracker.sender_id, stored)
                merged = [event.as_dict() for event in self._merge_trackers(prior, tracker).events] if prior else events
            events = merged
        self.red.set(key, json.dumps({"events": events, "name": tracker.sender_id}), ex=timeout or self.record_exp)


def continued_events(stored: List[Dict[str, Any]], new: List[Dict[str, Any]]) -> Optional[List[Dict[str, Any]]]:
    """The stored events followed by what `new` adds, when `new` continues them: `new` begins with
    every stored event, or with the stored events from some point on (the latest session, which
    is all that `retrieve` returned). None when `new` does not continue them."""
    if new[:len(stored)] == stored:
        return new
    if new:
        for start in range(len(stored) - 1, 0, -1):
            if stored[start] == new[0] and new[:len(stored) - start] == stored[start:]:
                return stored[:start] + new
    return None


class PrivateTrackerStore(TrackerStore):
    """Personal data out, then Rasa's own store for the backend named by TRACKER_STORE_URL."""

    def __init__(self, domain: Optional[Domain] = None, host: Optional[Text] = None,
                 event_broker: Optional[EventBroker] = None, settings: Optional[StoreSettings] = None,
                 **kwargs: Any) -> None:
        self.settings = settings or settings_from_env()
        self.inner = _backend(self.settings, domain, event_broker)
        # The broker is fed by the backend's save, from the rewritten tracker only. Rasa's fail-safe
        # wrapper gives *our* broker to its in-memory fallback (which would stream raw events when
        # the backend fails), so we expose none.
        super().__init__(domain, None)
        self._last_saved: Dict[str, float] = {}  # memory backend only: when each conversation was saved
        self._last_sweep = 0.0
        self._sweep: Optional[asyncio.Future] = None
        log.info("tracker store: %s, conversations expire after %d s idle", self.settings.backend, self.settings.expire_seconds)

    @property
    def domain(self) -> Domain:
        return self.inner.domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        if hasattr(self, "inner"):
            self.inner.domain = domain or Domain.empty()

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.inner.save(private_tracker(tracker))
        if self.settings.backend == "memory":
            self._last_saved[tracker.sender_id] = time.time()
        self._sweep_now_and_then()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        self.inner.max_event_history = self.max_event_history
        return await self.inner.retrieve(sender_id)

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        self.inner.max_event_history = self.max_event_history
        return await self.inner.retrieve_full_tracker(conversation_id)

    async def keys(self) -> Iterable[Text]:
        return await self.inner.keys()

    async def purge_expired(self, now: Optional[float] = None) -> int:
        """Delete the conversations idle longer than the expiry; how many were deleted.
        Redis expires its keys by itself."""
        cutoff = (now if now is not None else time.time()) - self.settings.expire_seconds
        if isinstance(self.inner, SQLTrackerStore):
            return await asyncio.get_running_loop().run_in_executor(None, _purge_sql, self.inner, cutoff)
        if isinstance(self.inner, InMemoryTrackerStore):
            idle = [sender for sender, saved in self._last_saved.items() if saved < cutoff]
            for sender in idle:
                self.inner.store.pop(sender, None)
                del self._last_saved[sender]
            return len(idle)
        return 0

    def _sweep_now_and_then(self) -> None:
        if self.settings.backend == "redis" or time.monotonic() - self._last_sweep < SWEEP_SECONDS:
            return
        if self._sweep is not None and not self._sweep.done():
            return
        self._last_sweep = time.monotonic()
        self._sweep = asyncio.ensure_future(self._logged_sweep())

    async def _logged_sweep(self) -> None:
        try:
            removed = await self.purge_expired()
        except Exception as error:  # the next sweep tries again; a turn never fails for it
            log.warning("tracker store: expiry sweep failed: %s", type(error).__name__)
            return
        if removed:
            log.info("tracker store: %d idle conversations deleted", removed)


def _purge_sql(store: SQLTrackerStore, cutoff: float) -> int:
    """One statement: every event of each conversation whose latest event is older than `cutoff`."""
    with store.engine.begin() as conn:
        rows = conn.execute(text(
            "DELETE FROM events WHERE sender_id IN "
            "(SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff) RETURNING sender_id"),
            {"cutoff": cutoff}).fetchall()
    return len({row[0] for row in rows})


# ---- the rewrite -------------------------------------------------------------------------------

def private_tracker(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """The tracker as it may be stored: the same one when nothing in it is personal."""
    events = list(tracker.events)
    rewritten = private_events(events)
    if rewritten is None:
        return tracker
    copy = tracker.init_copy()
    for event in rewritten:
        copy.update(event)
    return copy


def private_events(events: Sequence[Event]) -> Optional[List[Event]]:
    """The events with marked spans redacted, numbers masked, sealed texts and markers dropped;
    None when there is nothing to change."""
    secrets = _marked_secrets(events)
    out: List[Event] = []
    changed = False
    for index, event in enumerate(events):
        new = _private_event(event, secrets.get(index, {}))
        changed = changed or new is not event
        out.append(new)
    return out if changed else None


def _marked_secrets(events: Sequence[Event]) -> Dict[int, Dict[str, str]]:
    """Per event index: the marked substrings (original text → placeholder)."""
    secrets: Dict[int, Dict[str, str]] = {}
    latest_user: Optional[int] = None
    replies: List[int] = []  # the bot messages of the action that ran last
    for index, event in enumerate(events):
        if isinstance(event, ActionExecuted):
            replies = []
        elif isinstance(event, BotUttered):
            replies.append(index)
        elif isinstance(event, UserUttered):
            latest_user = index
        found = read_marker(event.metadata)
        if found is None:
            continue
        user, bot = found
        if latest_user is not None:
            _learn(secrets, latest_user, getattr(events[latest_user], "text", None), user)
        for reply, start, end, label in bot:
            if reply < len(replies):
                _learn(secrets, replies[reply], getattr(events[replies[reply]], "text", None), [(start, end, label)])
    return secrets


def _learn(secrets: Dict[int, Dict[str, str]], index: int, original: Optional[str], spans: Sequence[Span]) -> None:
    for start, end, label in spans:
        if original and end <= len(original) and start < end:
            secrets.setdefault(index, {})[original[start:end]] = placeholder(label)


def _private_event(event: Event, secrets: Dict[str, str]) -> Event:
    marked = MARKER_KEY in (event.metadata or {})
    if isinstance(event, UserUttered):
        needs = secrets or marked or SEALED_KEY in (event.metadata or {}) or has_personal_numbers(event.text or "")
    else:  # Rasa copies the first message's metadata into the slot `session_started_metadata`
        needs = secrets or marked or isinstance(event, SlotSet) and isinstance(event.value, dict) and SEALED_KEY in event.value
    if not needs:
        return event
    data = event.as_dict()
    data["metadata"] = {k: v for k, v in (data.get("metadata") or {}).items() if k not in (MARKER_KEY, SEALED_KEY)}
    if isinstance(event, SlotSet) and isinstance(event.value, dict):
        data["value"] = {k: v for k, v in event.value.items() if k != SEALED_KEY}
    if isinstance(event, UserUttered):
        parse_data = dict(data.get("parse_data") or {})
        parse_data.pop("metadata", None)  # the event's own metadata is put back when it is rebuilt
        data["parse_data"] = _masked_numbers(parse_data)
        data["text"] = mask_personal_numbers(data["text"]) if isinstance(data.get("text"), str) else data.get("text")
    data = _replace(data, secrets)
    rebuilt = Event.from_parameters(data)
    return rebuilt if rebuilt is not None else event


def _masked_numbers(parse_data: Dict[str, Any]) -> Dict[str, Any]:
    """The parse result with phone and ID-card shapes masked in its text and entity values."""
    masked = dict(parse_data)
    if isinstance(masked.get("text"), str):
        masked["text"] = mask_personal_numbers(masked["text"])
    masked["entities"] = [{**entity, "value": mask_personal_numbers(entity["value"])} if isinstance(entity.get("value"), str) else entity
                          for entity in masked.get("entities") or [] if isinstance(entity, dict)]
    return masked


def _replace(value: Any, secrets: Dict[str, str]) -> Any:
    """Every string inside `value` with each secret replaced by its placeholder, longest first."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in sorted(secrets, key=len, reverse=True):
            value = value.replace(secret, secrets[secret])
        return value
    if isinstance(value, dict):
        return {key: _replace(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, secrets) for item in value]
    return value


