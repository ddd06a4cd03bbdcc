"""Contact and status work (联系跟进) as staff see it: who in their district has not been reached
yet, whose follow-up is due this week, one graduate's contact history, and recording an attempt.

District staff see and act on their own district only; a reference number of another district is
answered 404, exactly like an unknown one, so numbers cannot be probed. City staff see every
district, or the one they choose. Names are masked in the lists; the notes of a graduate's history
are shown to the staff who may act on them. Recording is audit-logged by ledger.contacts.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Mapping, Optional, Sequence

from starlette.routing import BaseRoute, Route

from console.accounts import Staff, StaffStore
from console.notice_form import date_field
from console.web import ApiError, Call, choice_field, endpoint, storable, text_field
from ledger.contacts import (
    MAX_NOTE,
    NO_WISH_FOLLOW_UP_DAYS,
    Attempt,
    Contact,
    ContactBook,
    ContactError,
    Graduate,
    beijing_today,
    week_end,
)
from db.tables import CONTACT_METHODS, CONTACT_STATUSES, registrations
from ledger.export import beijing_time, district_matches
from ledger.store import Ledger, UnknownRegistration

PAGE_SIZE = 50
NOT_FOUND = "没有这条登记，或不在你的管辖范围内"


class ContactsApi:
    def __init__(self, accounts: StaffStore, ledger: Ledger, districts: Sequence[str]) -> None:
        self.accounts = accounts
        self.book = ContactBook(ledger)
        self.districts = list(districts)

    def routes(self) -> List[BaseRoute]:
        return [
            Route("/console/api/contacts/unreached", endpoint(self.accounts, self.unreached), methods=["GET"]),
            Route("/console/api/contacts/due", endpoint(self.accounts, self.due), methods=["GET"]),
            Route("/console/api/contacts/graduates/{ref}", endpoint(self.accounts, self.graduate), methods=["GET"]),
            Route("/console/api/contacts/graduates/{ref}", endpoint(self.accounts, self.record, write=True), methods=["POST"]),
        ]

    # ---- lists
    def unreached(self, call: Call) -> Dict[str, Any]:
        district = self._district(call)
        page = _page(call.query.get("page"))
        total, shown = self.book.unreached(district, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        return {"district": district, "total": total, "page": page, "page_size": PAGE_SIZE,
                "rows": [graduate_json(g) for g in shown], "lists": self._lists()}

    def due(self, call: Call) -> Dict[str, Any]:
        district = self._district(call)
        today = beijing_today()
        shown = self.book.due(district, today)
        return {"district": district, "today": today.isoformat(), "week_end": week_end(today).isoformat(),
                "rows": [graduate_json(g, today) for g in shown], "lists": self._lists()}

    # ---- one graduate
    def graduate(self, call: Call) -> Dict[str, Any]:
        ref = str(call.params["ref"]).strip().upper()
        found = self._in_scope(ref, call.staff)
        today = beijing_today()
        return {"graduate": graduate_json(found, today), "history": [contact_json(c) for c in self.book.history(ref)],
                "today": today.isoformat(), "lists": self._lists()}

    def record(self, call: Call) -> Dict[str, Any]:
        ref = str(call.params["ref"]).strip().upper()
        self._in_scope(ref, call.staff)
        attempt = attempt_from(call.body)
        try:
            saved = self.book.record(ref, attempt, call.staff.username)
        except ContactError as error:
            raise ApiError(400, error.message) from None
        except UnknownRegistration:
            raise ApiError(404, NOT_FOUND) from None
        return {"ok": True, "contact": contact_json(saved)}

    # ---- inside
    def _in_scope(self, ref: str, staff: Staff) -> Graduate:
        """The graduate, if this staff member may see them; else the same 404 as an unknown number
        (a "number" the database cannot even compare, with a NUL, is unknown too)."""
        found = self.book.graduate(ref) if len(ref) <= registrations.c.ref.type.length and storable(ref) else None
        if found is None or not staff.sees(found.district):
            raise ApiError(404, NOT_FOUND)
        return found

    def _district(self, call: Call) -> Optional[str]:
        """District staff: their own, whatever they ask. City staff: the one asked for (a district
        of the list, full or short name), or None for all."""
        if not call.staff.city:
            return call.staff.district
        asked = (call.query.get("district") or "").strip()
        if not asked:
            return None
        for name in self.districts:
            if district_matches(name, asked):
                return name
        raise ApiError(400, "没有这个区，请从列表中选择")

    def _lists(self) -> Dict[str, Any]:
        return {"methods": CONTACT_METHODS, "statuses": CONTACT_STATUSES, "no_wish_days": NO_WISH_FOLLOW_UP_DAYS,
                "max_note": MAX_NOTE, "districts": self.districts}


def attempt_from(body: Mapping[str, Any]) -> Attempt:
    """The form's JSON as an attempt; a field of the wrong shape is refused here, the rules
    (dates, status only when reached, …) by ledger.contacts.checked."""
    day = date_field(body, "date", "联系日期", required=True)
    assert day is not None
    method = choice_field(body, "method", CONTACT_METHODS, "请选择联系方式")
    reached = body.get("reached")
    if not isinstance(reached, bool):
        raise ApiError(400, "请选择是否联系上")
    status_value = body.get("status")
    status: Optional[str] = None
    if status_value not in (None, ""):
        status = choice_field(body, "status", CONTACT_STATUSES, "就业状态不对，请从列表中选择")
    next_day = date_field(body, "next", "下次跟进日期")
    note = text_field(body, "note", "备注", MAX_NOTE)
    return Attempt(day, method, reached, status, next_day, note)


def graduate_json(g: Graduate, today: Optional[date] = None) -> Dict[str, Any]:
    return {
        "ref": g.ref, "name": g.name, "school": g.school, "district": g.district, "source": g.source,
        "registered": g.registered, "reached": g.reached, "attempts": g.attempts,
        "last_date": _day(g.last_date), "last_method": CONTACT_METHODS.get(g.last_method or "", None),
        "last_reached": g.last_reached, "status": g.status, "status_label": CONTACT_STATUSES.get(g.status or "", None),
        "status_date": _day(g.status_date), "status_source": g.status_source, "due": _day(g.due),
        "overdue_days": (today - g.due).days if today is not None and g.due is not None and g.due < today else 0,
    }


def contact_json(c: Contact) -> Dict[str, Any]:
    return {
        "id": c.id, "date": c.contact_date.isoformat(), "method": c.method, "method_label": CONTACT_METHODS.get(c.method, c.method),
        "reached": c.reached, "status": c.status, "status_label": CONTACT_STATUSES.get(c.status or "", None),
        "next": _day(c.next_follow_up), "note": c.note, "staff": c.staff, "recorded_at": beijing_time(c.created_at),
    }


def _day(value: Optional[date]) -> Optional[str]:
    return value.isoformat() if value is not None else None


def _page(value: Optional[str]) -> int:
    return int(value) if value and len(value) <= 5 and value.isascii() and value.isdigit() and int(value) > 0 else 1
