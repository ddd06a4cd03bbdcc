"""Which Rasa replica a graduate's turns go to (bot.gateway.assistant.replica_order): stable,
spread evenly, and a replica that goes away moves only the graduates it had first."""
from __future__ import annotations

import time
from collections import Counter

from bot.gateway.assistant import Assistant, replica_order

URLS = ["http://127.0.0.1:5005", "http://127.0.0.1:5006", "http://127.0.0.1:5007"]
SENDERS = [f"wx:o{n:027d}" for n in range(3000)]


def test_a_sender_always_gets_the_same_order() -> None:
    assert all(replica_order(s, URLS) == replica_order(s, list(reversed(URLS))) for s in SENDERS[:200])
    assert sorted(replica_order(SENDERS[0], URLS)) == sorted(URLS)


def test_senders_spread_evenly_over_the_replicas() -> None:
    firsts = Counter(replica_order(s, URLS)[0] for s in SENDERS)
    assert set(firsts) == set(URLS) and min(firsts.values()) > 0.28 * len(SENDERS)


def test_a_replica_gone_moves_only_its_own_senders_to_their_second_choice() -> None:
    remaining = URLS[:2]
    for sender in SENDERS:
        order = replica_order(sender, URLS)
        assert replica_order(sender, remaining)[0] == (order[0] if order[0] in remaining else order[1])


def test_a_replica_passed_over_comes_last_until_its_cooldown_ends() -> None:
    assistant = Assistant(URLS[:2], cooldown=0.05)
    sender = SENDERS[0]
    first, second = replica_order(sender, URLS[:2])
    assistant._pass_over(first)
    assert assistant.order(sender) == [second, first]
    time.sleep(0.06)
    assert assistant.order(sender) == [first, second]
