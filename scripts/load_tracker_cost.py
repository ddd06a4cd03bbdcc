"""What Rasa's Redis tracker store costs per turn (a profile aid for docs/load.md, not a test).

    python -m scripts.load_tracker_cost <tracker.json> [--repeat N]

<tracker.json>: a stored tracker as Rasa's RedisTrackerStore keeps it (`rasa:tracker:<sender>`,
e.g. copied from a load run's Redis). Times, on this process, the CPU of what the store does
per turn with that tracker: `retrieve` (deserialise: the events replayed onto a new tracker),
`save` as Rasa 3.6 does it (read the stored tracker back, deserialise it, `travel_back_in_time`
to compare, serialise, write), and `save` with the comparison done on the stored JSON instead
(the same outcome when the stored events are a prefix of the tracker's, which is every turn of
a conversation within one session). Redis itself is left out: a dict stands in for it.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from devstack.stack import ROOT
from nlu.server.rasa_patches import install


class DictRedis:
    """The two calls the store makes, on a dict."""

    def __init__(self) -> None:
        self.data: Dict[str, bytes] = {}

    def get(self, key: str) -> Optional[bytes]:
        return self.data.get(key)

    def set(self, key: str, value: str, ex: Optional[int] = None) -> None:
        self.data[key] = value.encode() if isinstance(value, str) else value


def store(domain: Domain) -> RedisTrackerStore:
    s = RedisTrackerStore.__new__(RedisTrackerStore)
    s.domain, s.event_broker, s.record_exp, s.key_prefix, s.red = domain, None, 3600, "rasa:tracker:", DictRedis()
    s.max_event_history = None
    return s


def save_json_compare(s: RedisTrackerStore, tracker: DialogueStateTracker) -> None:
    """Rasa's save with its prefix check done on the stored JSON (the merge only when it fails)."""
    stored = s.red.get(s.key_prefix + tracker.sender_id)
    if stored is not None:
        prior = json.loads(stored).get("events") or []
        mine = [e.as_dict() for e in list(tracker.events)[: len(prior)]]
        if prior != mine:
            tracker = s._merge_trackers(s.deserialise_tracker(tracker.sender_id, stored), tracker)
    s.red.set(s.key_prefix + tracker.sender_id, s.serialise_tracker(tracker), ex=s.record_exp)


def timed(repeat: int, work: Callable[[], None]) -> float:
    """CPU ms per call."""
    started = time.process_time()
    for _ in range(repeat):
        work()
    return (time.process_time() - started) * 1000 / repeat


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.load_tracker_cost")
    parser.add_argument("tracker", type=Path)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    install()  # as nlu.server.serve runs Rasa (event classes from a table)
    domain = Domain.load(str(ROOT / "nlu" / "domain"))
    raw = args.tracker.read_bytes()
    s = store(domain)
    sender = json.loads(raw).get("sender_id") or json.loads(raw)["name"]
    tracker = s.deserialise_tracker(sender, raw)
    assert tracker is not None
    events = len(tracker.events)
    # the turn's new events: the stored tracker lacks the last user turn (its last 4 events, say)
    shorter = DialogueStateTracker.from_events(sender, list(tracker.events)[:-4], domain.slots)
    prior = s.serialise_tracker(shorter)

    def reset() -> None:
        s.red.data[s.key_prefix + sender] = prior.encode()

    retrieve = timed(args.repeat, lambda: s.deserialise_tracker(sender, raw))
    def rasa_save_once() -> None:
        reset()
        _run(s.save(tracker))

    def cheap_save_once() -> None:
        reset()
        save_json_compare(s, tracker)

    rasa_save = timed(args.repeat, rasa_save_once)
    cheap_save = timed(args.repeat, cheap_save_once)
    reset()
    _run(s.save(tracker))
    by_rasa = s.red.data[s.key_prefix + sender]
    reset()
    save_json_compare(s, tracker)
    same = json.loads(s.red.data[s.key_prefix + sender]) == json.loads(by_rasa)
    print(f"tracker of {events} events ({len(raw)} bytes): retrieve {retrieve:.2f} ms, save (Rasa 3.6) {rasa_save:.2f} ms, "
          f"save (JSON prefix check) {cheap_save:.2f} ms CPU; same stored tracker: {same}")
    return 0


LOOP = asyncio.new_event_loop()


def _run(coroutine: object) -> None:
    LOOP.run_until_complete(coroutine)  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
