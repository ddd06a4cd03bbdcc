"""Contact and status work on the real-name list (the notice, 五（八）): each district reaches every
graduate on its list — by phone, a visit, a message or data matching — records what it learned
(employed, seeking, further study, no wish to work yet, start-up) and when to follow up next.

- An attempt is recorded on a registration by its reference number, imported or registered in chat.
  Its note is personal and encrypted (`note_enc`); the audit log gets the reference, the method,
  the date and whether the graduate was reached, never the note.
- Those with no wish to work yet are followed up periodically (五（八）): an attempt that learns
  `no_wish` gets a next follow-up date NO_WISH_FOLLOW_UP_DAYS after the contact unless staff give
  one.
- Not reached yet: on the list, no attempt that reached them, and not registered in chat (a graduate
  who registered in chat, consented_at set, has come to the bureau: that counts as reached).
- The follow-up due of a graduate: the next date of the latest attempt that set one; an attempt
  that did not reach them leaves it due, one that reached them and set no new date ends it.
  "Due this week": due on or before this week's Sunday (Beijing time, weeks run Monday–Sunday),
  overdue first.
- Dates are Beijing dates: "today" is Beijing's, whatever the server's time zone.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import ColumnElement

from db.engine import now, storable

from db.pii import mask_name
from db.tables import CHAT_STATUSES, CONTACT_METHODS, CONTACT_STATUSES, contacts, registrations
from ledger.export import BEIJING, district_key
from ledger.store import Ledger, UnknownRegistration

# 五（八）asks for periodic follow-up of those with no wish to work yet without saying how often;
# a month is the bureau's usual rhythm for a phone round.
NO_WISH_FOLLOW_UP_DAYS = 30
# a next follow-up further out than this is a typo (2062 for 2026), not a plan
MAX_FOLLOW_UP_DAYS = 366
MAX_NOTE = 500
EARLIEST = date(2000, 1, 1)


class ContactError(ValueError):
    """An attempt the ledger will not record: `str()` says why in English (command line),
    `message` in Chinese (console); `field` names the input at fault."""

    def __init__(self, field: str, english: str, chinese: str) -> None:
        super().__init__(english)
        self.field = field
        self.message = chinese


@dataclass(frozen=True)
class Attempt:
    """One contact attempt as staff report it."""

    contact_date: date
    method: str  # a key of CONTACT_METHODS
    reached: bool
    status: Optional[str] = None  # a key of CONTACT_STATUSES, only when reached
    next_follow_up: Optional[date] = None
    note: Optional[str] = None


@dataclass(frozen=True)
class Contact:
    """One recorded attempt, note decrypted (for the graduate's history)."""

    id: int
    contact_date: date
    method: str
    reached: bool
    status: Optional[str]
    next_follow_up: Optional[date]
    note: Optional[str]
    staff: str
    created_at: datetime


@dataclass(frozen=True)
class Graduate:
    """A graduate on the contact lists: name masked; attempts so far, the last one, the status
    learned last (`status_source` 'contact' or 'registration', the chat registration's own), and
    the follow-up due."""

    id: int
    ref: str
    name: str
    school: Optional[str]
    district: Optional[str]
    source: str
    registered: bool  # registered in chat (consented)
    reached: bool  # registered in chat, or an attempt reached them
    attempts: int
    last_date: Optional[date]
    last_method: Optional[str]
    last_reached: Optional[bool]
    status: Optional[str]
    status_date: Optional[date]
    status_source: Optional[str]
    due: Optional[date]


def beijing_today(moment: Optional[datetime] = None) -> date:
    """Today's date in Beijing (the server may run on UTC: 16:00–24:00 UTC is already tomorrow)."""
    return (moment or now()).astimezone(BEIJING).date()


def week_end(today: date) -> date:
    """The Sunday ending the week (Monday–Sunday) of `today`."""
    return today + timedelta(days=6 - today.weekday())


def checked(attempt: Attempt, today: date) -> Attempt:
    """The attempt as it will be stored (note trimmed, the no-wish follow-up date filled in), or
    ContactError naming the first thing wrong."""
    if attempt.method not in CONTACT_METHODS:
        raise ContactError("method", f"unknown method {attempt.method!r}; one of {', '.join(CONTACT_METHODS)}", "请选择联系方式")
    if not isinstance(attempt.reached, bool):
        raise ContactError("reached", "say whether the graduate was reached (yes or no)", "请选择是否联系上")
    day = attempt.contact_date
    if day > today:
        raise ContactError("date", f"the contact date is in the future: {day.isoformat()}", "联系日期不能晚于今天")
    if day < EARLIEST:
        raise ContactError("date", f"the contact date is too early: {day.isoformat()}", "联系日期不对，请检查年份")
    if attempt.reached and attempt.status not in CONTACT_STATUSES:
        raise ContactError("status", f"reached: give the status learned, one of {', '.join(CONTACT_STATUSES)}",
                           "联系上时，请选择了解到的就业状态")
    if not attempt.reached and attempt.status is not None:
        raise ContactError("status", "not reached: no status can have been learned", "未联系上时不能填写就业状态")
    follow_up = attempt.next_follow_up
    if follow_up is not None and follow_up <= day:
        raise ContactError("next", "the next follow-up must be after the contact date", "下次跟进日期应晚于联系日期")
    if follow_up is not None and follow_up > day + timedelta(days=MAX_FOLLOW_UP_DAYS):
        raise ContactError("next", f"the next follow-up is more than {MAX_FOLLOW_UP_DAYS} days after the contact",
                           "下次跟进日期不能超过联系日期后一年")
    if follow_up is None and attempt.status == "no_wish":
        follow_up = day + timedelta(days=NO_WISH_FOLLOW_UP_DAYS)
    note = (attempt.note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise ContactError("note", f"the note is longer than {MAX_NOTE} characters", f"备注最多 {MAX_NOTE} 个字")
    if note is not None and not storable(note):
        raise ContactError("note", "the note holds characters the database cannot keep", "备注含有无法识别的字符，请删除后重试")
    return replace(attempt, next_follow_up=follow_up, note=note)


def in_district(district: Optional[str]) -> ColumnElement:
    """Registrations of a district given as 海淀区 or 海淀; None: every district (and none)."""
    if district is None:
        return true()
    key = district_key(district)
    return registrations.c.district.in_(sorted({district.strip(), key, f"{key}区"}))


def pending_follow_up(history: Iterable[Row]) -> Optional[date]:
    """The follow-up due after these attempts (oldest first): the latest next date set, kept by
    attempts that did not reach the graduate, ended by one that reached them without a new date."""
    due: Optional[date] = None
    for contact in history:
        if contact.next_follow_up is not None:
            due = contact.next_follow_up
        elif contact.reached:
            due = None
    return due


class ContactBook:
    """The contact work on one ledger (every method one transaction)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.engine = ledger.engine
        self.cipher = ledger.cipher

    # ---- recording
    def record(self, ref: str, attempt: Attempt, staff: str, today: Optional[date] = None) -> Contact:
        """Store one attempt on the registration `ref` (not deleted); nothing is written when the
        attempt is refused (ContactError) or the registration unknown (UnknownRegistration)."""
        if not staff.strip():
            raise ContactError("staff", "say who recorded the attempt", "缺少工作人员")
        attempt = checked(attempt, today or beijing_today())
        stamp = now()
        with self.engine.begin() as conn:
            reg_id = conn.execute(select(registrations.c.id).where(
                and_(registrations.c.ref == ref, registrations.c.deleted_at.is_(None)))).scalar()
            if reg_id is None:
                raise UnknownRegistration(ref)
            result = conn.execute(contacts.insert().values(
                registration_id=reg_id, contact_date=attempt.contact_date, method=attempt.method, reached=attempt.reached,
                status=attempt.status, next_follow_up=attempt.next_follow_up, note_enc=self.cipher.encrypt(attempt.note),
                staff=staff, created_at=stamp))
            self.ledger._audit(conn, staff, "contact", {"ref": ref, "method": attempt.method, "reached": attempt.reached,
                                                        "date": attempt.contact_date.isoformat()})
        return Contact(int(result.inserted_primary_key[0]), attempt.contact_date, attempt.method, attempt.reached, attempt.status,
                       attempt.next_follow_up, attempt.note, staff, stamp)

    # ---- one graduate
    def graduate(self, ref: str) -> Optional[Graduate]:
        """The graduate `ref` (not deleted) as the lists show them, or None."""
        with self.engine.begin() as conn:
            row = conn.execute(_GRADUATE_COLUMNS.where(and_(registrations.c.ref == ref, registrations.c.deleted_at.is_(None)))).first()
            return self._graduates(conn, [row])[0] if row is not None else None

    def history(self, ref: str) -> List[Contact]:
        """Every attempt on `ref`, newest first, notes decrypted."""
        query = (select(contacts).join(registrations, registrations.c.id == contacts.c.registration_id)
                 .where(and_(registrations.c.ref == ref, registrations.c.deleted_at.is_(None)))
                 .order_by(contacts.c.contact_date.desc(), contacts.c.id.desc()))
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
        return [Contact(r.id, r.contact_date, r.method, bool(r.reached), r.status, r.next_follow_up, self.cipher.decrypt(r.note_enc),
                        r.staff, r.created_at) for r in rows]

    # ---- lists
    def unreached(self, district: Optional[str] = None, offset: int = 0, limit: Optional[int] = None) -> Tuple[int, List[Graduate]]:
        """Graduates not reached yet (how many, and the asked-for slice): never tried first, then
        those tried least, then the longest since the last attempt."""
        stats = (select(contacts.c.registration_id.label("rid"), func.count().label("attempts"),
                        func.max(contacts.c.contact_date).label("last_date"),
                        func.max(case((contacts.c.reached == true(), 1), else_=0)).label("reached"))
                 .group_by(contacts.c.registration_id).subquery())
        attempts = func.coalesce(stats.c.attempts, 0)
        query = (_GRADUATE_COLUMNS.outerjoin(stats, stats.c.rid == registrations.c.id)
                 .where(and_(registrations.c.deleted_at.is_(None), registrations.c.consented_at.is_(None),
                             func.coalesce(stats.c.reached, 0) == 0, in_district(district))))
        with self.engine.begin() as conn:
            total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0)
            page = query.order_by(attempts, stats.c.last_date, registrations.c.id).offset(offset)
            rows = conn.execute(page.limit(limit) if limit is not None else page).all()
            return total, self._graduates(conn, rows)

    def due(self, district: Optional[str] = None, today: Optional[date] = None) -> List[Graduate]:
        """Graduates whose follow-up falls due on or before this week's Sunday, the most overdue first."""
        end = week_end(today or beijing_today())
        scheduled = select(contacts.c.registration_id).where(contacts.c.next_follow_up.is_not(None))
        query = _GRADUATE_COLUMNS.where(and_(registrations.c.deleted_at.is_(None), registrations.c.id.in_(scheduled),
                                             in_district(district)))
        with self.engine.begin() as conn:
            graduates = self._graduates(conn, conn.execute(query).all())
        owing = [g for g in graduates if g.due is not None and g.due <= end]
        return sorted(owing, key=lambda g: (g.due, g.ref))

    def latest_statuses(self, district: Optional[str] = None) -> Dict[str, Graduate]:
        """Every graduate (not deleted) by reference, with the status learned last: from the latest
        attempt that reached them, else what a chat registration said itself, else None."""
        query = _GRADUATE_COLUMNS.where(and_(registrations.c.deleted_at.is_(None), in_district(district))).order_by(registrations.c.id)
        with self.engine.begin() as conn:
            return {g.ref: g for g in self._graduates(conn, conn.execute(query).all(), names=False)}

    # ---- inside
    def _graduates(self, conn: Connection, rows: Sequence[Row], names: bool = True) -> List[Graduate]:
        """The rows (registration columns of _GRADUATE_COLUMNS) with their attempts folded in."""
        histories: Dict[int, List[Row]] = {row.id: [] for row in rows}
        ids = list(histories)
        for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
            query = (select(contacts.c.registration_id, contacts.c.contact_date, contacts.c.method, contacts.c.reached,
                            contacts.c.status, contacts.c.next_follow_up)
                     .where(contacts.c.registration_id.in_(chunk)).order_by(contacts.c.contact_date, contacts.c.id))
            for contact in conn.execute(query):
                histories[contact.registration_id].append(contact)
        return [self._graduate(row, histories[row.id], names) for row in rows]

    def _graduate(self, row: Row, history: List[Row], names: bool) -> Graduate:
        last = history[-1] if history else None
        learned = [c for c in history if c.reached and c.status is not None]
        status: Optional[str] = None
        status_date: Optional[date] = None
        status_source: Optional[str] = None
        if learned:
            status, status_date, status_source = learned[-1].status, learned[-1].contact_date, "contact"
        elif row.consented_at is not None and row.status in CHAT_STATUSES:
            status, status_source = CHAT_STATUSES[row.status], "registration"
        return Graduate(
            id=row.id, ref=row.ref, name=mask_name(self.cipher.decrypt(row.name_enc)) if names else "", school=row.school,
            district=row.district, source=row.source, registered=row.consented_at is not None,
            reached=row.consented_at is not None or any(c.reached for c in history), attempts=len(history),
            last_date=last.contact_date if last else None, last_method=last.method if last else None,
            last_reached=bool(last.reached) if last else None, status=status, status_date=status_date,
            status_source=status_source, due=pending_follow_up(history),
        )


_GRADUATE_COLUMNS = select(registrations.c.id, registrations.c.ref, registrations.c.name_enc, registrations.c.school,
                           registrations.c.district, registrations.c.source, registrations.c.status, registrations.c.consented_at)



