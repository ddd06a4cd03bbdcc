"""Handoff cases on the bureau's database (one transaction per call).

A case opens when a graduate asks for a person; the conversation so far is copied into it. While
it is open every message the graduate sends is added to it (the assistant says nothing); staff
replies are queued for delivery on the graduate's channel (the push worker sends them, see
push/replies.py). A case closes when staff close it, when the graduate ends it (“结束人工”), or,
on the graduate's next message, when nobody has written in it for IDLE_DAYS. At most one open case
per identity (a partial unique index): two “转人工” racing end in one case.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from db.crypto import Cipher
from db.engine import in_districts, now, utc
from db.pii import mask_personal_numbers
from db.tables import handoff_messages, handoffs

IDLE_DAYS = 7
WECHAT_WINDOW = timedelta(hours=48)  # customer-service messages only within 48 h of the user's last message
TRANSCRIPT_LIMIT = 30  # messages of the conversation so far copied into a new case
MAX_TEXT = 2000
MAX_REPLY = 600  # a WeChat customer-service text holds 2,048 bytes
OUTGOING = ("staff", "system")
CLOSING_NOTICE = "工作人员已结束本次人工服务，谢谢你的耐心。之后有问题可以继续问我（智能助手），需要工作人员时再回复“转人工”。"


@dataclass(frozen=True)
class Case:
    id: int
    identity: str
    channel: str
    district: Optional[str]
    status: str
    opened_at: datetime
    last_inbound_at: datetime
    updated_at: datetime
    claimed_by: Optional[str]
    closed_at: Optional[datetime]
    closed_by: Optional[str]

    def idle_since(self, moment: datetime) -> timedelta:
        return moment - utc(self.updated_at)

    def wechat_window_open(self, moment: datetime) -> bool:
        return self.channel != "wx" or moment - utc(self.last_inbound_at) < WECHAT_WINDOW


@dataclass(frozen=True)
class Message:
    id: int
    at: datetime
    author: str
    staff: Optional[str]
    text: str
    delivery: Optional[str]
    last_error: Optional[str]


@dataclass(frozen=True)
class Outgoing:
    """A staff or system message claimed for delivery."""
    id: int
    handoff_id: int
    identity: str
    channel: str
    text: str
    attempts: int


class HandoffError(ValueError):
    """A change the case's state does not allow; the message says why (for staff, Chinese)."""


def _case(row: Row) -> Case:
    return Case(row.id, row.identity, row.channel, row.district, row.status, utc(row.opened_at),
                utc(row.last_inbound_at), utc(row.updated_at), row.claimed_by,
                utc(row.closed_at) if row.closed_at else None, row.closed_by)


class HandoffStore:
    def __init__(self, engine: Engine, cipher: Cipher) -> None:
        self.engine = engine
        self.cipher = cipher

    # ---- the graduate's side (action server)
    def open(self, identity: str, district: Optional[str], transcript: Sequence[Tuple[str, str]]) -> Tuple[Case, bool]:
        """The open case of `identity`, or a new one with `transcript` ((author, text), oldest first)
        copied in; True when it was created now."""
        existing = self.current(identity)
        if existing is not None:
            return existing, False
        moment = now()
        try:
            with self.engine.begin() as conn:
                case_id = int(conn.execute(handoffs.insert().values(
                    identity=identity, channel=identity.split(":", 1)[0], district=district, status="open",
                    opened_at=moment, last_inbound_at=moment, updated_at=moment)).inserted_primary_key[0])
                for author, text in list(transcript)[-TRANSCRIPT_LIMIT:]:
                    self._add(conn, case_id, author, text, moment)
        except IntegrityError:  # another turn of the same graduate opened it first
            existing = self.current(identity)
            if existing is None:
                raise
            return existing, False
        case = self.get(case_id)
        assert case is not None
        return case, True

    def current(self, identity: str) -> Optional[Case]:
        query = select(handoffs).where(and_(handoffs.c.identity == identity, handoffs.c.status == "open"))
        with self.engine.begin() as conn:
            row = conn.execute(query).first()
        return _case(row) if row else None

    def get(self, case_id: int) -> Optional[Case]:
        with self.engine.begin() as conn:
            row = conn.execute(select(handoffs).where(handoffs.c.id == case_id)).first()
        return _case(row) if row else None

    def latest(self, identity: str) -> Optional[Case]:
        """The identity's most recent case, open or closed."""
        query = select(handoffs).where(handoffs.c.identity == identity).order_by(handoffs.c.id.desc()).limit(1)
        with self.engine.begin() as conn:
            row = conn.execute(query).first()
        return _case(row) if row else None

    def inbound(self, case_id: int, text: str) -> None:
        """A message the graduate sent while the case is open."""
        moment = now()
        with self.engine.begin() as conn:
            self._add(conn, case_id, "graduate", text, moment)
            conn.execute(update(handoffs).where(handoffs.c.id == case_id).values(last_inbound_at=moment, updated_at=moment))

    def close(self, case_id: int, by: str, notify: bool) -> bool:
        """Close an open case (False if it was not open); `notify` queues CLOSING_NOTICE to the graduate."""
        moment = now()
        with self.engine.begin() as conn:
            changed = conn.execute(update(handoffs).where(and_(handoffs.c.id == case_id, handoffs.c.status == "open"))
                                   .values(status="closed", closed_at=moment, closed_by=by, updated_at=moment)).rowcount
            if changed and notify:
                self._add(conn, case_id, "system", CLOSING_NOTICE, moment, delivery="pending")
        return bool(changed)

    # ---- the staff side (console)
    def reply(self, case_id: int, staff: str, text: str) -> int:
        """Queue a staff reply to the graduate; the first staff member to reply takes the case."""
        text = text.strip()
        if not text:
            raise HandoffError("回复内容不能为空")
        if len(text) > MAX_REPLY:
            raise HandoffError(f"回复最多 {MAX_REPLY} 个字，内容多可以分几条发")
        moment = now()
        with self.engine.begin() as conn:
            row = conn.execute(select(handoffs).where(handoffs.c.id == case_id)).first()
            if row is None:
                raise HandoffError("没有这个会话")
            if row.status != "open":
                raise HandoffError("会话已结束，不能再回复")
            message_id = self._add(conn, case_id, "staff", text, moment, delivery="pending", staff=staff)
            conn.execute(update(handoffs).where(handoffs.c.id == case_id).values(
                updated_at=moment, claimed_by=func.coalesce(handoffs.c.claimed_by, staff)))
        return message_id

    def cases(self, status: str, districts: Optional[Sequence[Optional[str]]], limit: int = 100) -> List[Dict[str, Any]]:
        """Cases with the last message and whether the graduate is waiting for an answer;
        `districts` limits them (None: all; a None inside: cases of unknown district)."""
        query = select(handoffs).where(and_(handoffs.c.status == status, in_districts(handoffs.c.district, districts)))
        order = handoffs.c.opened_at.asc() if status == "open" else handoffs.c.closed_at.desc()
        with self.engine.begin() as conn:
            rows = conn.execute(query.order_by(order).limit(limit)).all()
            summaries = [self._summary(conn, _case(row)) for row in rows]
        return summaries

    def messages(self, case_id: int) -> List[Message]:
        query = select(handoff_messages).where(handoff_messages.c.handoff_id == case_id).order_by(handoff_messages.c.id)
        with self.engine.begin() as conn:
            return [self._message(row) for row in conn.execute(query)]

    # ---- delivery (push worker)
    def due(self, limit: int = 100) -> List[int]:
        """Pending messages whose retry time (if any) has come, oldest first."""
        moment = now()
        query = (select(handoff_messages.c.id).where(and_(
            handoff_messages.c.delivery == "pending",
            or_(handoff_messages.c.lease_until.is_(None), handoff_messages.c.lease_until <= moment)))
            .order_by(handoff_messages.c.id).limit(limit))
        with self.engine.begin() as conn:
            return [int(i) for i in conn.execute(query).scalars()]

    def claim(self, message_id: int, lease: float) -> Optional[Outgoing]:
        """Take one pending message for sending (one worker wins); None if another has it, or if an
        earlier message of the same case is still pending or on its way (one case's messages
        arrive in the order staff wrote them, whatever the number of workers)."""
        moment = now()
        earlier = handoff_messages.alias("earlier")
        waiting_before = select(earlier.c.id).where(and_(
            earlier.c.handoff_id == handoff_messages.c.handoff_id, earlier.c.id < message_id,
            earlier.c.delivery.in_(("pending", "sending")))).exists()
        with self.engine.begin() as conn:
            changed = conn.execute(update(handoff_messages).where(and_(
                handoff_messages.c.id == message_id, handoff_messages.c.delivery == "pending", ~waiting_before)).values(
                delivery="sending", attempts=handoff_messages.c.attempts + 1,
                lease_until=moment + timedelta(seconds=lease))).rowcount
            if not changed:
                return None
            row = conn.execute(select(handoff_messages, handoffs.c.identity, handoffs.c.channel)
                               .join(handoffs, handoffs.c.id == handoff_messages.c.handoff_id)
                               .where(handoff_messages.c.id == message_id)).first()
        return Outgoing(row.id, row.handoff_id, row.identity, row.channel, self.cipher.decrypt(row.text_enc) or "", row.attempts)

    def settle(self, message_id: int, status: str, error: Optional[str] = None, retry_in: Optional[float] = None) -> None:
        """Record a send's outcome; `retry_in` seconds puts the message back to pending until then."""
        values: Dict[str, Any] = {"delivery": "pending" if retry_in is not None else status,
                                  "last_error": (error or None) and error[:200],
                                  "lease_until": now() + timedelta(seconds=retry_in) if retry_in is not None else None}
        if status == "sent":
            values["sent_at"] = now()
        with self.engine.begin() as conn:
            conn.execute(update(handoff_messages).where(and_(handoff_messages.c.id == message_id,
                                                             handoff_messages.c.delivery == "sending")).values(**values))

    def expire_leases(self) -> int:
        """Messages left `sending` by a stopped worker: `unknown` (they may have arrived; staff see it)."""
        with self.engine.begin() as conn:
            return int(conn.execute(update(handoff_messages).where(and_(
                handoff_messages.c.delivery == "sending", handoff_messages.c.lease_until < now())).values(
                delivery="unknown", last_error="worker stopped while sending; it may have arrived")).rowcount)

    # ---- keys
    # ---- inside
    def _add(self, conn: Connection, case_id: int, author: str, text: str, moment: datetime,
             delivery: Optional[str] = None, staff: Optional[str] = None) -> int:
        text = mask_personal_numbers(text[:MAX_TEXT]) if author == "graduate" else text[:MAX_TEXT]
        result = conn.execute(handoff_messages.insert().values(
            handoff_id=case_id, at=moment, author=author, staff=staff, text_enc=self.cipher.encrypt(text),
            delivery=delivery, attempts=0))
        return int(result.inserted_primary_key[0])

    def _message(self, row: Row) -> Message:
        return Message(row.id, utc(row.at), row.author, row.staff, self.cipher.decrypt(row.text_enc) or "",
                       row.delivery, row.last_error)

    def _summary(self, conn: Connection, case: Case) -> Dict[str, Any]:
        last = conn.execute(select(handoff_messages).where(handoff_messages.c.handoff_id == case.id)
                            .order_by(handoff_messages.c.id.desc()).limit(1)).first()
        last_staff = conn.execute(select(func.max(handoff_messages.c.at)).where(and_(
            handoff_messages.c.handoff_id == case.id, handoff_messages.c.author == "staff"))).scalar()
        waiting = last_staff is None or utc(last_staff) < case.last_inbound_at
        moment = now()
        return {"case": case, "last": self._message(last) if last else None, "waiting": waiting,
                "window_open": case.wechat_window_open(moment)}
