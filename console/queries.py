"""What the console lists: notices and broadcasts as staff see them, limited to what a staff
member may see (district staff: their own district's notices and those notices' broadcasts)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine, Row
from sqlalchemy.sql import Select

from console.accounts import Staff
from db.tables import broadcasts, notices
from ledger.export import beijing_time
from notices.model import KINDS

LIMIT = 100
ACTIVE = ("pending_approval", "ready", "scheduled", "running")  # a broadcast that can still be cancelled


def scoped(query: Select, staff: Staff) -> Select:
    return query if staff.city else query.where(notices.c.district == staff.district)


def list_notices(engine: Engine, staff: Staff) -> List[Dict[str, Any]]:
    query = scoped(select(notices), staff).order_by(notices.c.id.desc()).limit(LIMIT)
    with engine.begin() as conn:
        return [notice_json(row) for row in conn.execute(query)]


def notice_row(engine: Engine, notice_id: int) -> Optional[Row]:
    with engine.begin() as conn:
        return conn.execute(select(notices).where(notices.c.id == notice_id)).first()


def notice_json(row: Row) -> Dict[str, Any]:
    return {
        "id": row.id, "kind": row.kind, "kind_label": KINDS.get(row.kind, row.kind), "title": row.title, "body": row.body,
        "district": row.district, "industry": row.industry, "degree": row.degree,
        "event_date": _day(row.event_date), "event_time": row.event_time, "place": row.place,
        "online_link": row.online_link, "organiser": row.organiser,
        "valid_from": _day(row.valid_from), "valid_until": _day(row.valid_until), "status": row.status,
        "created_by": row.created_by, "created_at": beijing_time(row.created_at), "published_at": beijing_time(row.published_at),
    }


def _broadcasts_query() -> Select:
    return select(broadcasts, notices.c.title, notices.c.district, notices.c.kind).select_from(
        broadcasts.join(notices, notices.c.id == broadcasts.c.notice_id))


def list_broadcasts(engine: Engine, staff: Staff, status: Optional[str] = None, notice_id: Optional[int] = None) -> List[Dict[str, Any]]:
    query = scoped(_broadcasts_query(), staff).order_by(broadcasts.c.id.desc()).limit(LIMIT)
    if status:
        query = query.where(broadcasts.c.status == status)
    if notice_id is not None:
        query = query.where(broadcasts.c.notice_id == notice_id)
    with engine.begin() as conn:
        return [broadcast_json(row) for row in conn.execute(query)]


def broadcast_row(engine: Engine, broadcast_id: int) -> Optional[Row]:
    with engine.begin() as conn:
        return conn.execute(_broadcasts_query().where(broadcasts.c.id == broadcast_id)).first()


def live_broadcasts_of(engine: Engine, notice_id: int) -> int:
    """Broadcasts of a notice to its audience (not tests) that were not cancelled."""
    query = select(broadcasts.c.audience).where(and_(broadcasts.c.notice_id == notice_id, broadcasts.c.status != "cancelled"))
    with engine.begin() as conn:
        return sum(1 for (audience,) in conn.execute(query) if not _test_identity(audience))


def broadcast_json(row: Row) -> Dict[str, Any]:
    test_identity = _test_identity(row.audience)
    return {
        "id": row.id, "notice_id": row.notice_id, "title": row.title, "district": row.district,
        "kind_label": KINDS.get(row.kind, row.kind), "status": row.status, "test_identity": test_identity,
        "scheduled_at": beijing_time(row.scheduled_at), "created_by": row.created_by, "approved_by": row.approved_by,
        "total": row.total, "created_at": beijing_time(row.created_at), "started_at": beijing_time(row.started_at),
        "finished_at": beijing_time(row.finished_at), "active": row.status in ACTIVE,
    }


def _test_identity(audience: Optional[str]) -> Optional[str]:
    try:
        value = json.loads(audience or "{}").get("test_identity")
    except (ValueError, AttributeError):
        return None
    return str(value) if value else None


def _day(value: Any) -> Optional[str]:
    return value.isoformat() if value is not None else None
