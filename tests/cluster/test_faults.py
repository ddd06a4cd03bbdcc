"""Faults on the multi-replica topology, each during load (graduates talking through both
gateways on WeChat and Telegram, one of them registering over and over) and during a broadcast
to Telegram subscribers: one process SIGKILLed (a Rasa server, an action server, a gateway, a
push worker) and started again; Redis restarted (it keeps nothing); PostgreSQL restarted.

After each: no confirmed registration lost, no delivery lost or sent twice (a delivery whose send
was cut off is recorded `unknown`, never sent again), every WeChat push answered within WeChat's
5 s (an answer, a graceful error, or `success` with the answer following) — on WeChat's resend
when the first attempt died with a gateway — every Telegram update a killed gateway had
acknowledged answered by the other (bot/gateway/journal.py), and every graduate answered again
once the process is back. The figures are printed (-s shows them)."""
from __future__ import annotations

import secrets
import socket
import time
from dataclasses import dataclass
from collections import Counter
from typing import Callable, Dict, List, Tuple

import pytest
import redis

from devstack.stack import Service
from tests.cluster.conftest import (DEADLINE, Load, Topology, Turn, confirmed_are_saved, outcomes,
                                    private_servers_missing, recovered_after, restart)
from tests.push.conftest import fair

pytestmark = pytest.mark.stack
SUBSCRIBERS = 60
Window = Tuple[float, float]  # (broken, repaired): monotonic times
Tolerated = Callable[[Turn, Window], bool]


def nothing_else(turn: Turn, window: Window) -> bool:
    return False


@dataclass
class Report:
    fault: str
    outcomes: Dict[str, int]
    slowest_wechat: float
    telegram_latency: Tuple[float, float]  # median, slowest
    restart_took: float
    answers_back_after: float
    deliveries: Dict[str, int]
    unknown_received: int  # `unknown` deliveries the user did get (the rest: cut off before sending)
    registrations: int
    wechat_resent: Dict[str, int]  # outcomes of the WeChat pushes answered only on a resend
    resent_waited: float  # the longest of those, from the first attempt to the answer

    def __str__(self) -> str:
        return (f"{self.fault}: turns {self.outcomes}; WeChat resends answered {self.wechat_resent} "
                f"(within {self.resent_waited:.2f} s of the first attempt); "
                f"slowest WeChat reply {self.slowest_wechat:.2f} s; "
                f"Telegram answers median {self.telegram_latency[0]:.2f} s, slowest {self.telegram_latency[1]:.2f} s; "
                f"restart {self.restart_took:.1f} s; every graduate answered again {self.answers_back_after:.1f} s after the fault; "
                f"broadcast {self.deliveries} ({self.unknown_received} of the unknown received); "
                f"confirmed registrations {self.registrations}")


def under_load(topology: Topology, fault: str, break_it: Callable[[], None], repair: Callable[[], float],
               tolerated: Tolerated = nothing_else) -> Report:
    """Load and a broadcast; `break_it` once both are under way, `repair` 4 s later; then checks.
    Every turn is an answer, the graceful error or a late answer, but those `tolerated` allows."""
    tag = secrets.token_hex(3)
    audience = [6 * 10**8 + secrets.randbelow(10**8) for _ in range(SUBSCRIBERS)]
    topology.bureau.subscribe([f"tg:{chat}" for chat in audience])
    telegram = topology.telegram
    with Load(topology) as load:
        began = time.monotonic()
        load.wait_turns(8, began)
        broadcast = topology.bureau.broadcast(fair(title=f"海淀区专场招聘会 {tag}"))
        _wait(lambda: _received(telegram, tag, audience) >= 5, 30, "the broadcast under way")
        broken = time.monotonic()
        break_it()
        time.sleep(4.0)
        restart_took = repair()
        repaired = time.monotonic()
        load.wait_turns(15, repaired, timeout=90)
        load.wait_each_player(repaired + 2, timeout=60)  # the recovery check below needs a turn from each
    topology.bureau.wait_status(broadcast, "done", 120)
    turns = load.between(began)
    # the broadcast goes to every subscriber so far (earlier tests' too)
    states = {identity: status for identity, (status, _, _) in topology.bureau.deliveries(broadcast).items()}
    got = {int(identity[3:]): sum(1 for m in telegram.messages(int(identity[3:])) if tag in m.text) for identity in states}
    unknown_received = sum(1 for identity, status in states.items() if status == "unknown" and got[int(identity[3:])])
    resent = [t for t in turns if t.who.startswith("wx:") and t.resent > 0]
    telegram_took = sorted(t.took for t in turns if t.who.startswith("tg:") and t.outcome in ("answer", "sorry"))
    report = Report(fault, outcomes(turns), max(t.took for t in turns if t.who.startswith("wx:")),
                    (telegram_took[len(telegram_took) // 2], telegram_took[-1]) if telegram_took else (0.0, 0.0), restart_took,
                    recovered_after(load, broken), topology.bureau.counts(broadcast), unknown_received, len(load.confirmed),
                    outcomes(resent), max((t.ended - t.at for t in resent), default=0.0))
    print(f"\n{report}")

    # every WeChat push answered in time; nothing but answers, graceful errors and late answers
    assert [t for t in turns if t.who.startswith("wx:") and t.took > DEADLINE] == []
    unexpected = [t for t in turns if t.outcome not in ("answer", "sorry", "late") and not tolerated(t, (broken, repaired))]
    assert unexpected == [], Counter((t.who[:3], t.outcome, round(t.at - broken)) for t in unexpected)
    # the cluster recovered: once it is repaired, every graduate is answered
    for player in {t.player for t in turns}:
        mine = [t for t in turns if t.player == player]
        after = [t.outcome for t in mine if t.at >= repaired + 2 and not tolerated(t, (broken, repaired))]
        assert after and set(after) == {"answer"}, (player, [(round(t.at - repaired, 1), t.outcome, t.text[:30]) for t in mine][-6:])
    # no confirmed registration lost
    assert confirmed_are_saved(topology, load.confirmed) == []
    # no delivery lost, none sent twice
    assert max(got.values()) == 1, {c: n for c, n in got.items() if n > 1}
    assert set(states) >= {f"tg:{c}" for c in audience}
    assert all(got[int(identity[3:])] == 1 for identity, status in states.items() if status == "sent")
    assert set(report.deliveries) <= {"sent", "unknown"}, report.deliveries
    assert report.deliveries.get("unknown", 0) <= 16  # at most what was on the wire when it broke
    return report


@pytest.mark.parametrize("victim,holding", [("rasa-1", ""), ("actions-1", ""), ("gateway-1", "wechat"),
                                            ("gateway-1", "telegram"), ("worker-1", "")])
def test_killing_one_process_during_load_loses_nothing(topology: Topology, victim: str, holding: str) -> None:
    """A gateway is killed while Redis shows it holding a WeChat push (answered on WeChat's resend),
    or a Telegram update it acknowledged (taken over from the journal by the other gateway)."""
    service = topology.cluster.service(victim)
    break_it = (lambda: kill_holding(topology, service, holding)) if holding else service.kill
    report = under_load(topology, f"SIGKILL {victim}" + (f" holding a {holding} turn" if holding else ""), break_it,
                        lambda: restart(topology, victim))
    assert service.alive()
    assert report.answers_back_after < report.restart_took + 30
    _wait(lambda: journal_left(topology) == [], 15, "every acknowledged turn answered and crossed out")


@pytest.mark.skipif(private_servers_missing() is not None, reason=f"no private PostgreSQL: {private_servers_missing()}")
def test_postgres_restarted_during_load_recovers_by_itself(topology: Topology) -> None:
    own = topology.servers.postgres
    assert own is not None

    def repair() -> float:
        started = time.monotonic()
        own.start()
        return time.monotonic() - started

    under_load(topology, "PostgreSQL stopped (immediate) 4 s and started", lambda: own.stop("immediate"), repair)


@pytest.mark.skipif(private_servers_missing() is not None, reason=f"no private Redis/PostgreSQL: {private_servers_missing()}")
def test_redis_restarted_during_load_recovers_by_itself(topology: Topology) -> None:
    own = topology.servers.redis
    assert own is not None

    def repair() -> float:
        started = time.monotonic()
        own.start()
        return time.monotonic() - started

    under_load(topology, "Redis stopped 4 s, started empty", own.stop, repair, while_redis_was_down)


def kill_holding(topology: Topology, service: Service, holding: str, wait: float = 10.0) -> None:
    """SIGKILL the gateway while Redis shows it holding a WeChat push (its claim names it) or a
    Telegram update (an entry in its journal), so that there is one to recover; after `wait`
    seconds without one, kill it anyway."""
    holder = f"{socket.gethostname()}/{service.pid}/"
    client = redis.Redis.from_url(topology.servers.redis_url, socket_timeout=2.0)

    def holds_a_push() -> bool:
        claims = [key for key in client.scan_iter("gw:wx:msg:*", count=1000) if key.count(b":") == 4]
        return any((value or b"").startswith(f"held {holder}".encode()) for value in (client.mget(claims) if claims else []))

    def holds_an_update() -> bool:
        return any(client.zcard(key) for key in client.scan_iter(f"gw:journal:by:{holder}*".encode()))

    holds = holds_a_push if holding == "wechat" else holds_an_update
    deadline = time.monotonic() + wait
    try:
        while time.monotonic() < deadline:
            if holds():
                print(f"\n{service.name} killed holding a {holding} turn")
                break
            time.sleep(0.02)
        else:
            print(f"\n{service.name} held no {holding} turn in {wait:.0f} s: killed anyway")
    finally:
        client.close()
    service.kill()


def journal_left(topology: Topology) -> List[str]:
    """Journal entries still written down (a gateway's liveness keys and claims aside)."""
    client = redis.Redis.from_url(topology.servers.redis_url, socket_timeout=2.0, decode_responses=True)
    try:
        return sorted(client.scan_iter("gw:journal:entry:*"))
    finally:
        client.close()


def while_redis_was_down(turn: Turn, window: Window) -> bool:
    """Redis down: the gateway's dedupe claim cannot be made and it answers 500 at once (WeChat
    resends, Telegram resends an update its webhook refused); turns sent then may go unanswered.
    Once it is back, each pooled connection of the gateway fails once more (docs/deployment.md)."""
    broken, repaired = window
    return (turn.outcome in ("error:http 500", "error:webhook 500", "error:no answer", "late")
            and broken - 8 <= turn.at <= repaired + 15)


def _received(telegram, tag: str, audience: List[int]) -> int:  # type: ignore[no-untyped-def]
    wanted = set(audience)
    return sum(1 for sent in list(telegram.sent) if sent.chat_id in wanted and tag in sent.text)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.05)
