"""The push worker's reads and writes of the broadcasts and deliveries tables: every change is one
short transaction whose WHERE clause says which state it expects, so racing workers cannot both
win (the database is the record; the queue only carries ids).

A delivery moves pending → sending (claimed: attempts + 1) → sent | failed | blocked | skipped |
unknown, or back to pending with next_attempt_at for a retry. While a row is `sending`,
next_attempt_at holds its lease: past it, the worker that claimed it is taken for dead and the
reconciler marks the row `unknown` (it may have gone out, so it is never sent again). A
`recommendation` that is sent adds its follow-up (岗位推介, staff "push") to the graduate's
registration in the same transaction, so it is counted exactly once.

The claim is committed before the send, and must outlive a crash of the database: the ledger's
sessions commit synchronously even on a server set to synchronous_commit=off (db/tables.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Connection, Engine

from db.engine import now, utc
from db.tables import audit_log, broadcasts, deliveries, follow_ups, recipients, registrations
from push.limits import BEIJING
from push.outcome import Outcome

FINAL = ("sending", "unknown")
LOST = "worker stopped while sending; it may have arrived"


@dataclass(frozen=True)
class Row:
    id: int
    broadcast_id: int
    notice_id: int
    identity: str
    channel: str
    purpose: str
    status: str
    attempts: int
    next_attempt_at: Optional[datetime]
    inactive: Optional[str]  # the recipients table's mark: blocked | unsubscribed

    def due(self, at: datetime) -> bool:
        return self.next_attempt_at is None or utc(self.next_attempt_at) <= at


class Book:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- broadcasts
    def due_broadcasts(self, lease: float) -> List[int]:
        """Broadcasts to fan out now: ready, or scheduled and due, not being fanned out."""
        stamp = now()
        query = select(broadcasts.c.id).where(_fan_out_due(stamp, lease)).order_by(broadcasts.c.id)
        with self.engine.begin() as conn:
            return [int(i) for i in conn.execute(query).scalars()]

    def claim_broadcast(self, broadcast_id: int, lease: float) -> bool:
        """Only one worker wins a broadcast's fan-out (for `lease` seconds; fan-out is idempotent)."""
        stamp = now()
        with self.engine.begin() as conn:
            won = conn.execute(update(broadcasts).where(and_(broadcasts.c.id == broadcast_id, _fan_out_due(stamp, lease)))
                               .values(started_at=stamp)).rowcount
        return bool(won)

    def pending_of(self, broadcast_id: int) -> List[Tuple[int, str]]:
        query = (select(deliveries.c.id, deliveries.c.channel)
                 .where(and_(deliveries.c.broadcast_id == broadcast_id, deliveries.c.status == "pending"))
                 .order_by(deliveries.c.id))
        with self.engine.begin() as conn:
            return [(int(i), str(c)) for i, c in conn.execute(query)]

    def owed(self, grace: float, after: int = 0, limit: int = 5000) -> List[Tuple[int, str]]:
        """Pending, due deliveries of running broadcasts older than `grace` seconds, by id."""
        stamp = now()
        query = (select(deliveries.c.id, deliveries.c.channel)
                 .select_from(deliveries.join(broadcasts, broadcasts.c.id == deliveries.c.broadcast_id))
                 .where(and_(broadcasts.c.status == "running", broadcasts.c.started_at < stamp - timedelta(seconds=grace),
                             deliveries.c.status == "pending", deliveries.c.id > after,
                             or_(deliveries.c.next_attempt_at.is_(None), deliveries.c.next_attempt_at <= stamp)))
                 .order_by(deliveries.c.id).limit(limit))
        with self.engine.begin() as conn:
            return [(int(i), str(c)) for i, c in conn.execute(query)]

    def still_owed(self, ids: Sequence[int]) -> List[int]:
        """Which of `ids` are still pending and due."""
        if not ids:
            return []
        stamp = now()
        query = select(deliveries.c.id).where(and_(deliveries.c.id.in_(list(ids)), deliveries.c.status == "pending",
                                                   or_(deliveries.c.next_attempt_at.is_(None),
                                                       deliveries.c.next_attempt_at <= stamp))).order_by(deliveries.c.id)
        with self.engine.begin() as conn:
            return [int(i) for i in conn.execute(query).scalars()]

    def expire_sending(self) -> int:
        """Deliveries whose worker died while sending: `unknown`, never sent again."""
        with self.engine.begin() as conn:
            return int(conn.execute(update(deliveries).where(and_(deliveries.c.status == "sending",
                                                                  deliveries.c.next_attempt_at < now()))
                                    .values(status="unknown", last_error=LOST, next_attempt_at=None)).rowcount or 0)

    def finish_broadcasts(self) -> List[int]:
        """Running broadcasts with nothing pending or sending any more become `done`."""
        busy = (select(deliveries.c.id).where(and_(deliveries.c.broadcast_id == broadcasts.c.id,
                                                   deliveries.c.status.in_(("pending", "sending")))).exists())
        with self.engine.begin() as conn:
            ids = [int(i) for i in conn.execute(select(broadcasts.c.id).where(and_(broadcasts.c.status == "running", ~busy))).scalars()]
            done = [i for i in ids if conn.execute(update(broadcasts).where(and_(broadcasts.c.id == i, broadcasts.c.status == "running"))
                                                   .values(status="done", finished_at=now())).rowcount]
        return done

    # ---- deliveries
    def load(self, ids: Sequence[int]) -> Dict[int, Row]:
        query = (select(deliveries.c.id, deliveries.c.broadcast_id, broadcasts.c.notice_id, deliveries.c.identity,
                        deliveries.c.channel, deliveries.c.purpose, deliveries.c.status, deliveries.c.attempts,
                        deliveries.c.next_attempt_at, recipients.c.inactive)
                 .select_from(deliveries.join(broadcasts, broadcasts.c.id == deliveries.c.broadcast_id)
                              .outerjoin(recipients, recipients.c.identity == deliveries.c.identity))
                 .where(deliveries.c.id.in_(list(ids))))
        with self.engine.begin() as conn:
            return {int(r.id): Row(**r._mapping) for r in conn.execute(query)}

    def claim(self, delivery_id: int, lease: float) -> Optional[int]:
        """pending → sending for this worker; the attempt's number, or None when another won."""
        stamp = now()
        with self.engine.begin() as conn:
            won = conn.execute(update(deliveries).where(and_(deliveries.c.id == delivery_id, deliveries.c.status == "pending",
                                                             or_(deliveries.c.next_attempt_at.is_(None),
                                                                 deliveries.c.next_attempt_at <= stamp)))
                               .values(status="sending", attempts=deliveries.c.attempts + 1,
                                       next_attempt_at=stamp + timedelta(seconds=lease))).rowcount
            if not won:
                return None
            return int(conn.execute(select(deliveries.c.attempts).where(deliveries.c.id == delivery_id)).scalar() or 0)

    def close_unclaimed(self, delivery_id: int, status: str, reason: str) -> bool:
        """A pending delivery that will not be sent (inactive recipient, channel off …)."""
        with self.engine.begin() as conn:
            return bool(conn.execute(update(deliveries).where(and_(deliveries.c.id == delivery_id, deliveries.c.status == "pending"))
                                     .values(status=status, last_error=reason[:200], next_attempt_at=None)).rowcount)

    def record(self, row: Row, attempt: int, outcome: Outcome, max_attempts: int, backoff: float,
               title: str = "") -> Optional[float]:
        """The outcome of a claimed send. Returns the delay of the retry, if one is due."""
        stamp = now()
        values: Dict[str, object] = {"status": outcome.status, "last_error": (outcome.error or "")[:200] or None, "next_attempt_at": None}
        delay: Optional[float] = None
        if outcome.status == "sent":
            values.update(sent_at=stamp, last_error=None)
        elif outcome.status == "pause":  # Telegram's flood control: not a failed attempt
            delay = max(outcome.retry_after, 0.5)
            values.update(status="pending", attempts=deliveries.c.attempts - 1, next_attempt_at=stamp + timedelta(seconds=delay))
        elif outcome.status == "retry":
            if attempt >= max_attempts:
                values.update(status="failed", last_error=f"gave up after {attempt} attempts: {outcome.error}"[:200])
            else:
                delay = backoff * 2 ** (attempt - 1)
                values.update(status="pending", next_attempt_at=stamp + timedelta(seconds=delay))
        with self.engine.begin() as conn:
            changed = conn.execute(update(deliveries).where(and_(deliveries.c.id == row.id, deliveries.c.status.in_(FINAL)))
                                   .values(**values)).rowcount
            if changed and outcome.status == "sent" and row.purpose == "recommendation":
                _recommendation_follow_up(conn, row, title, stamp)
        return delay if changed else None


def _fan_out_due(stamp: datetime, lease: float):  # type: ignore[no-untyped-def]
    scheduled_due = and_(broadcasts.c.status == "scheduled", broadcasts.c.scheduled_at <= stamp)
    free = or_(broadcasts.c.started_at.is_(None), broadcasts.c.started_at < stamp - timedelta(seconds=lease))
    return and_(or_(broadcasts.c.status == "ready", scheduled_due), free)


def _recommendation_follow_up(conn: Connection, row: Row, title: str, stamp: datetime) -> None:
    """岗位推介 on the graduate's registration, counted towards the promised three."""
    reg = conn.execute(select(registrations.c.id, registrations.c.ref).where(
        and_(registrations.c.identity == row.identity, registrations.c.deleted_at.is_(None)))).first()
    if reg is None:
        return
    today = beijing_today()
    conn.execute(follow_ups.insert().values(registration_id=reg.id, kind="recommendation", service_date=today,
                                            note=f"推送岗位：{title}"[:200], staff="push", created_at=stamp))
    detail = {"ref": reg.ref, "kind": "recommendation", "date": today.isoformat(), "delivery": row.id}
    conn.execute(audit_log.insert().values(at=stamp, actor="push", action="follow_up", detail=json.dumps(detail, ensure_ascii=False)))


def beijing_today() -> date:
    return now().astimezone(BEIJING).date()
