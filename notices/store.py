"""Notices, subscriptions and broadcasts on the bureau's database (one transaction per call).

Fan-out is one INSERT … SELECT per broadcast: every matching subscriber (and, for job postings,
every registered graduate who asked for job recommendations and matches) gets one `pending`
delivery row; the unique (broadcast, identity) pair makes a repeated fan-out a no-op. The push
worker then works the pending rows off; the database decides what is still owed.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.engine import Engine, Row

from db.engine import now
from db.tables import DEGREES
from db.tables import broadcasts, deliveries, notices, recipients, subscriptions
from notices.model import KINDS, Notice, Subscription


class NoticeError(ValueError):
    """A notice or subscription the bureau's rules do not allow; the message says why."""


def _codes(values: List[str]) -> Optional[str]:
    """',海淀区,朝阳区,' — commas around every value, so LIKE '%,海淀区,%' matches exactly."""
    return "," + ",".join(values) + "," if values else None


def _split(value: Optional[str]) -> List[str]:
    return [part for part in (value or "").split(",") if part]


class NoticeStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- notices
    def create(self, notice: Notice) -> int:
        if notice.kind not in KINDS:
            raise NoticeError(f"unknown kind {notice.kind!r}; one of {', '.join(KINDS)}")
        if notice.valid_until < notice.valid_from:
            raise NoticeError("valid_until is before valid_from")
        if notice.degree is not None and notice.degree not in DEGREES:
            raise NoticeError(f"unknown degree {notice.degree!r}")
        values = {k: v for k, v in notice.__dict__.items() if k != "id"}
        with self.engine.begin() as conn:
            result = conn.execute(notices.insert().values(**values, created_at=now()))
            return int(result.inserted_primary_key[0])

    def publish(self, notice_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(notices).where(notices.c.id == notice_id).values(status="published", published_at=now()))

    def withdraw(self, notice_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(notices).where(notices.c.id == notice_id).values(status="withdrawn"))

    def get(self, notice_id: int) -> Optional[Notice]:
        with self.engine.begin() as conn:
            row = conn.execute(select(notices).where(notices.c.id == notice_id)).first()
        return _notice(row) if row else None

    def published(self, kind: Optional[str] = None, district: Optional[str] = None, today: Optional[date] = None,
                  limit: int = 5) -> List[Notice]:
        """Published notices valid today, soonest events first; a district also gets city-wide ones."""
        today = today or date.today()
        query = select(notices).where(and_(notices.c.status == "published", notices.c.valid_from <= today,
                                           notices.c.valid_until >= today))
        if kind:
            query = query.where(notices.c.kind == kind)
        if district:
            query = query.where(or_(notices.c.district == district, notices.c.district.is_(None)))
        query = query.order_by(notices.c.event_date.is_(None), notices.c.event_date, notices.c.id.desc()).limit(limit)
        with self.engine.begin() as conn:
            return [_notice(row) for row in conn.execute(query)]

    # ---- subscriptions
    def subscribe(self, sub: Subscription) -> bool:
        """Create or replace the subscription to `sub.kind`; True when it is new."""
        if sub.kind not in KINDS:
            raise NoticeError(f"unknown kind {sub.kind!r}")
        values = {"districts": _codes(sub.districts), "industries": _codes(sub.industries), "degree": sub.degree, "updated_at": now()}
        with self.engine.begin() as conn:
            changed = conn.execute(update(subscriptions).where(and_(subscriptions.c.identity == sub.identity,
                                                                   subscriptions.c.kind == sub.kind)).values(**values)).rowcount
            if not changed:
                conn.execute(subscriptions.insert().values(identity=sub.identity, channel=sub.channel, kind=sub.kind,
                                                           created_at=now(), **values))
            conn.execute(update(recipients).where(and_(recipients.c.identity == sub.identity,
                                                       recipients.c.inactive == "unsubscribed")).values(inactive=None, inactive_at=None))
        return not changed

    def unsubscribe(self, identity: str, kind: Optional[str] = None) -> int:
        query = subscriptions.delete().where(subscriptions.c.identity == identity)
        if kind:
            query = query.where(subscriptions.c.kind == kind)
        with self.engine.begin() as conn:
            return int(conn.execute(query).rowcount or 0)

    def subscriptions_of(self, identity: str) -> List[Subscription]:
        with self.engine.begin() as conn:
            rows = conn.execute(select(subscriptions).where(subscriptions.c.identity == identity).order_by(subscriptions.c.id))
            return [Subscription(r.identity, r.kind, _split(r.districts), _split(r.industries), r.degree) for r in rows]

    def mark_inactive(self, identity: str, reason: str) -> None:
        """A user who blocked the bot or unfollowed the account: skipped by every later broadcast."""
        with self.engine.begin() as conn:
            changed = conn.execute(update(recipients).where(recipients.c.identity == identity).values(inactive=reason, inactive_at=now())).rowcount
            if not changed:
                conn.execute(recipients.insert().values(identity=identity, channel=identity.split(":", 1)[0], inactive=reason, inactive_at=now()))

    def reactivate(self, identities: List[str]) -> int:
        """Graduates the platform had refused (blocked the bot, unfollowed the account) who have
        written again: reachable once more. A graduate who unsubscribed (退订) stays so."""
        if not identities:
            return 0
        with self.engine.begin() as conn:
            return int(conn.execute(update(recipients).where(and_(recipients.c.identity.in_(identities),
                                                                  recipients.c.inactive == "blocked"))
                                    .values(inactive=None, inactive_at=None)).rowcount)

    # ---- broadcasts
    def audience_sql(self) -> str:
        """Subscribers matching the notice (bound: :notice_id), active only."""
        return """
            SELECT s.identity, s.channel, 'subscription' AS purpose
            FROM subscriptions s JOIN notices n ON n.id = :notice_id AND s.kind = n.kind
            LEFT JOIN recipients r ON r.identity = s.identity
            WHERE r.inactive IS NULL
              AND (s.districts IS NULL OR n.district IS NULL OR s.districts LIKE '%,' || n.district || ',%')
              AND (s.industries IS NULL OR n.industry IS NULL OR s.industries LIKE '%,' || n.industry || ',%')
        """

    def recommendation_sql(self) -> str:
        """Registered graduates who asked for job recommendations and match a job posting."""
        return """
            SELECT g.identity, g.channel, 'recommendation' AS purpose
            FROM registrations g JOIN notices n ON n.id = :notice_id AND n.kind IN ('job', 'traineeship')
            LEFT JOIN recipients r ON r.identity = g.identity
            WHERE g.identity IS NOT NULL AND g.deleted_at IS NULL AND r.inactive IS NULL
              AND g.services LIKE '%recommendation%'
              AND (n.district IS NULL OR g.district = n.district OR g.preferred_districts LIKE '%' || n.district || '%'
                   OR g.preferred_districts LIKE '%不限%')
              AND NOT EXISTS (SELECT 1 FROM subscriptions s2 WHERE s2.identity = g.identity AND s2.kind = n.kind)
        """

    def audience_count(self, notice_id: int) -> int:
        sql = f"SELECT COUNT(*) FROM ({self.audience_sql()} UNION ALL {self.recommendation_sql()}) a"
        with self.engine.begin() as conn:
            return int(conn.execute(text(sql), {"notice_id": notice_id}).scalar() or 0)

    def create_broadcast(self, notice_id: int, created_by: str, scheduled_at: Optional[datetime] = None,
                         audience: Optional[Dict[str, Any]] = None) -> int:
        notice = self.get(notice_id)
        if notice is None or notice.status != "published":
            raise NoticeError("only a published notice can be broadcast")
        city_wide = notice.district is None and not (audience or {}).get("test_identity")
        status = "pending_approval" if city_wide else ("scheduled" if scheduled_at else "ready")
        with self.engine.begin() as conn:
            result = conn.execute(broadcasts.insert().values(
                notice_id=notice_id, audience=json.dumps(audience or {}, ensure_ascii=False), status=status,
                scheduled_at=scheduled_at, created_by=created_by, created_at=now()))
            return int(result.inserted_primary_key[0])

    def approve(self, broadcast_id: int, approver: str) -> None:
        """City-wide broadcasts need a second person."""
        with self.engine.begin() as conn:
            row = conn.execute(select(broadcasts).where(broadcasts.c.id == broadcast_id)).first()
            if row is None or row.status != "pending_approval":
                raise NoticeError("nothing to approve")
            if row.created_by == approver:
                raise NoticeError("a city-wide broadcast needs a second person's approval")
            status = "scheduled" if row.scheduled_at else "ready"
            conn.execute(update(broadcasts).where(broadcasts.c.id == broadcast_id).values(status=status, approved_by=approver))

    def cancel(self, broadcast_id: int) -> int:
        """Stop a broadcast: its pending deliveries become `skipped`; returns how many."""
        with self.engine.begin() as conn:
            conn.execute(update(broadcasts).where(broadcasts.c.id == broadcast_id).values(status="cancelled", finished_at=now()))
            return int(conn.execute(update(deliveries).where(and_(deliveries.c.broadcast_id == broadcast_id,
                                                                 deliveries.c.status == "pending")).values(status="skipped", last_error="cancelled")).rowcount or 0)

    def fan_out(self, broadcast_id: int) -> int:
        """One pending delivery per recipient (idempotent); returns the broadcast's total."""
        with self.engine.begin() as conn:
            row = conn.execute(select(broadcasts.c.notice_id, broadcasts.c.status, broadcasts.c.audience)
                               .where(broadcasts.c.id == broadcast_id)).first()
            if row is None or row.status not in ("ready", "scheduled", "running"):
                raise NoticeError(f"broadcast {broadcast_id} cannot be sent (status {row.status if row else 'missing'})")
            test_identity = json.loads(row.audience or "{}").get("test_identity")
            if test_identity:  # "send a test to yourself": one delivery, to the staff member's own chat
                conn.execute(text("""
                    INSERT INTO deliveries (broadcast_id, identity, channel, purpose, status, attempts)
                    SELECT :broadcast_id, :identity, :channel, 'test', 'pending', 0 WHERE true
                    ON CONFLICT (broadcast_id, identity) DO NOTHING"""),
                    {"broadcast_id": broadcast_id, "identity": test_identity, "channel": test_identity.split(":", 1)[0]})
            else:
                conn.execute(text(f"""
                    INSERT INTO deliveries (broadcast_id, identity, channel, purpose, status, attempts)
                    SELECT :broadcast_id, identity, channel, purpose, 'pending', 0
                    FROM ({self.audience_sql()} UNION ALL {self.recommendation_sql()}) a
                    WHERE true  -- SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
                    ON CONFLICT (broadcast_id, identity) DO NOTHING"""), {"broadcast_id": broadcast_id, "notice_id": row.notice_id})
            total = int(conn.execute(select(func.count()).select_from(deliveries).where(deliveries.c.broadcast_id == broadcast_id)).scalar() or 0)
            conn.execute(update(broadcasts).where(broadcasts.c.id == broadcast_id).values(status="running", total=total, started_at=now()))
        return total

    def report(self, broadcast_id: int) -> Dict[str, Dict[str, int]]:
        """Deliveries by channel and status: {"tg": {"sent": 10, "blocked": 1}, ...}."""
        query = (select(deliveries.c.channel, deliveries.c.status, func.count())
                 .where(deliveries.c.broadcast_id == broadcast_id).group_by(deliveries.c.channel, deliveries.c.status))
        out: Dict[str, Dict[str, int]] = {}
        with self.engine.begin() as conn:
            for channel, status, count in conn.execute(query):
                out.setdefault(channel, {})[status] = int(count)
        return out


def _notice(row: Row) -> Notice:
    data = dict(row._mapping)
    data.pop("created_at", None)
    data.pop("published_at", None)
    return Notice(**data)
