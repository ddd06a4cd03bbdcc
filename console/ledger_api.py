"""The registration ledger as staff see it: district-scoped, names and phone numbers masked,
each graduate's services given and still owed; recording a follow-up; the masked export.
Follow-ups and exports are written to the audit log (by ledger.store and ledger.export)."""
from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from sqlalchemy import and_, select
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from console.accounts import Staff, StaffStore
from console.notice_form import date_field
from console.web import ApiError, Call, choice_field, endpoint, text_field
from db.engine import storable
from db.pii import mask_name, mask_phone
from db.tables import registrations
from ledger.export import BEIJING, ExportError, Filters, beijing_time, export, select_rows
from ledger.fields import FOLLOW_UP_KINDS
from ledger.followup import owed_labels, received_labels, summarize, summary_lines
from ledger.store import Ledger, LedgerRow, UnknownRegistration

PAGE_SIZE = 50
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class LedgerApi:
    def __init__(self, accounts: StaffStore, ledger: Ledger) -> None:
        self.accounts = accounts
        self.ledger = ledger

    def routes(self) -> List[BaseRoute]:
        return [
            Route("/console/api/ledger", endpoint(self.accounts, self.rows), methods=["GET"]),
            Route("/console/api/ledger/{ref}/follow-ups", endpoint(self.accounts, self.follow_up, write=True), methods=["POST"]),
            Route("/console/api/export", endpoint(self.accounts, self.export, write=True), methods=["POST"]),
        ]

    def rows(self, call: Call) -> Dict[str, Any]:
        rows = select_rows(self.ledger, filters_from(call.query, call.staff))
        page = _page(call.query.get("page"))
        shown = rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
        return {"rows": [row_json(row) for row in shown], "total": len(rows), "page": page, "page_size": PAGE_SIZE,
                "summary": summary_lines(summarize(rows))}

    def follow_up(self, call: Call) -> Dict[str, Any]:
        ref = str(call.params["ref"]).strip().upper()
        self._check_scope(ref, call.staff)
        kind = choice_field(call.body, "kind", FOLLOW_UP_KINDS, "请选择服务类别")
        day = date_field(call.body, "date", "服务日期", required=True)
        assert day is not None
        if day > date.today() or day.year < 2000:
            raise ApiError(400, "服务日期不能晚于今天")
        note = text_field(call.body, "note", "备注", 500)
        try:
            self.ledger.add_follow_up(ref, kind, day, note, call.staff.username)
        except UnknownRegistration:
            raise ApiError(404, "没有这条登记") from None
        return {"ok": True}

    def _check_scope(self, ref: str, staff: Staff) -> None:
        if len(ref) > registrations.c.ref.type.length or not storable(ref):  # not a number the database could even compare
            raise ApiError(404, "没有这条登记，或不在你的管辖范围内")
        query = select(registrations.c.district).where(and_(registrations.c.ref == ref, registrations.c.deleted_at.is_(None)))
        with self.ledger.engine.begin() as conn:
            row = conn.execute(query).first()
        if row is None or not staff.sees(row.district):
            raise ApiError(404, "没有这条登记，或不在你的管辖范围内")

    def export(self, call: Call) -> Response:
        fmt = choice_field(call.body, "format", MEDIA_TYPES, "导出格式应为 csv 或 xlsx")
        filters = filters_from({} if call.body.get("filters") is None else call.body["filters"], call.staff)
        name = f"ledger-{datetime.now(BEIJING):%Y%m%d-%H%M}.{fmt}"
        with tempfile.TemporaryDirectory(prefix="console-export-") as folder:
            path = Path(folder) / name
            try:
                export(self.ledger, path, fmt, call.staff.username, filters, reveal=False)
            except ExportError as error:
                raise ApiError(400, f"导出条件有误：{error}") from None
            content = path.read_bytes()
        return Response(content, media_type=MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def filters_from(values: Any, staff: Staff) -> Filters:
    """The ledger filters asked for (a query string's or a JSON object's; texts are strings, flags
    booleans or "1"/"true"/"on"); district staff always get their own district."""
    if not isinstance(values, Mapping):
        raise ApiError(400, "筛选条件格式不对")
    district = _text(values, "district") if staff.city else staff.district
    filters = Filters(district=district, grad_year=_year(_text(values, "grad_year")), status=_text(values, "status"),
                      needs=_text(values, "needs"), difficulty=_flag(values, "difficulty"), owed=_flag(values, "owed"))
    try:
        return filters.validate()
    except ExportError as error:
        raise ApiError(400, f"筛选条件有误：{error}") from None


def row_json(row: LedgerRow) -> Dict[str, Any]:
    reg = row.registration
    return {
        "ref": row.ref, "name": mask_name(reg.name), "phone": mask_phone(reg.phone), "school": reg.school, "major": reg.major,
        "degree": reg.degree, "grad_year": reg.grad_year, "district": reg.district, "status": reg.status,
        "intention": reg.intention, "services": reg.service_labels(), "difficulty": bool(reg.difficulty),
        "received": received_labels(row.follow_ups), "owed": owed_labels(row), "updated_at": beijing_time(row.updated_at),
    }


def _text(values: Mapping[str, Any], name: str) -> Optional[str]:
    value = values.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, "筛选条件格式不对（应为文字）")
    return value.strip() if value and value.strip() else None


def _flag(values: Mapping[str, Any], name: str) -> bool:
    value = values.get(name)
    if value is not None and not isinstance(value, (bool, str)):
        raise ApiError(400, "筛选条件格式不对（应为是或否）")
    return value is True or value in ("1", "true", "on")


def _year(text: Optional[str]) -> Optional[int]:
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) != 4:
        raise ApiError(400, "毕业年份应为四位数字")
    return int(text)


def _page(value: Optional[str]) -> int:
    return int(value) if value and len(value) <= 5 and value.isascii() and value.isdigit() and int(value) > 0 else 1
