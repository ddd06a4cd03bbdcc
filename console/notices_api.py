"""Notices and broadcasts: compose and publish, audience count, test send, send now or later,
a second city staff member's approval for city-wide broadcasts, progress, cancel and report.
Every publication, broadcast, approval, withdrawal and cancel is written to the audit log."""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy.engine import Row
from starlette.routing import BaseRoute, Route

from console.accounts import StaffStore
from console.notice_form import notice_from, scheduled_time
from console.queries import (ACTIVE, broadcast_json, broadcast_row, list_broadcasts, list_notices, live_broadcasts_of,
                                 notice_json, notice_row)
from console.web import ApiError, Call, choice_field, endpoint
from db.engine import now
from ledger.store import Ledger
from notices.store import NoticeError, NoticeStore

IN_FLIGHT = ("pending", "sending")
_STATUS = re.compile(r"[a-z_]{1,24}")  # a broadcast status, e.g. pending_approval


class NoticesApi:
    def __init__(self, accounts: StaffStore, ledger: Ledger, districts: List[str]) -> None:
        self.accounts = accounts
        self.ledger = ledger
        self.store = NoticeStore(ledger.engine)
        self.districts = districts

    def routes(self) -> List[BaseRoute]:
        def get(path: str, handler) -> Route:  # type: ignore[no-untyped-def]
            return Route(path, endpoint(self.accounts, handler), methods=["GET"])

        def post(path: str, handler) -> Route:  # type: ignore[no-untyped-def]
            return Route(path, endpoint(self.accounts, handler, write=True), methods=["POST"])

        return [
            get("/console/api/notices", self.notices), post("/console/api/notices", self.publish),
            get("/console/api/notices/{notice_id:int}", self.notice),
            post("/console/api/notices/{notice_id:int}/withdraw", self.withdraw),
            post("/console/api/notices/{notice_id:int}/broadcasts", self.broadcast),
            get("/console/api/broadcasts", self.broadcasts),
            get("/console/api/broadcasts/{broadcast_id:int}", self.progress),
            post("/console/api/broadcasts/{broadcast_id:int}/approve", self.approve),
            post("/console/api/broadcasts/{broadcast_id:int}/cancel", self.cancel),
        ]

    # ---- notices
    def notices(self, call: Call) -> Dict[str, Any]:
        return {"notices": list_notices(self.ledger.engine, call.staff)}

    def publish(self, call: Call) -> Dict[str, Any]:
        notice = notice_from(call.body, call.staff, self.districts, date.today())
        try:
            notice_id = self.store.create(notice)
        except NoticeError as error:
            raise ApiError(400, f"通知内容有误：{error}") from None
        self.store.publish(notice_id)
        self.ledger.audit(call.staff.username, "notice_publish",
                          {"notice_id": notice_id, "kind": notice.kind, "district": notice.district, "title": notice.title})
        return {"id": notice_id}

    def notice(self, call: Call) -> Dict[str, Any]:
        row = self._notice(call)
        audience = self.store.audience_count(row.id) if row.status == "published" else 0
        return {"notice": notice_json(row), "audience": audience,
                "broadcasts": list_broadcasts(self.ledger.engine, call.staff, notice_id=row.id)}

    def withdraw(self, call: Call) -> Dict[str, Any]:
        """The notice is no longer shown, and its broadcasts still under way stop."""
        row = self._notice(call)
        self.store.withdraw(row.id)
        cancelled = [b["id"] for b in list_broadcasts(self.ledger.engine, call.staff, notice_id=row.id)
                     if b["active"] and self._stop(b["id"], call.staff.username) is not None]
        self.ledger.audit(call.staff.username, "notice_withdraw", {"notice_id": row.id, "cancelled_broadcasts": cancelled})
        return {"ok": True, "cancelled": cancelled}

    def _notice(self, call: Call) -> Row:
        row = notice_row(self.ledger.engine, int(call.params["notice_id"]))
        if row is None or not call.staff.sees(row.district):
            raise ApiError(404, "没有这条通知，或不在你的管辖范围内")
        return row

    # ---- broadcasts
    def broadcast(self, call: Call) -> Dict[str, Any]:
        row = self._notice(call)
        mode = choice_field(call.body, "mode", ("now", "schedule", "test"), "请选择发送方式：立即发送、定时发送或发送测试")
        if row.status != "published":
            raise ApiError(409, "只有已发布的通知才能发送")
        audience: Optional[Dict[str, str]] = None
        if mode == "test":
            if not call.staff.identity:
                raise ApiError(400, "你的账号没有设置接收测试的聊天账号，请联系管理员设置")
            audience = {"test_identity": call.staff.identity}
        elif live_broadcasts_of(self.ledger.engine, row.id):
            raise ApiError(409, "这条通知已经发送过或正在发送；如需重发，请先取消原推送")
        when = scheduled_time(call.body.get("scheduled_at"), now()) if mode == "schedule" else None
        broadcast_id = self.store.create_broadcast(row.id, call.staff.username, when, audience)
        status = self._broadcast(broadcast_id).status
        self.ledger.audit(call.staff.username, "broadcast", {"broadcast_id": broadcast_id, "notice_id": row.id, "mode": mode,
                                                             "scheduled_at": when, "status": status, "district": row.district})
        return {"id": broadcast_id, "status": status}

    def broadcasts(self, call: Call) -> Dict[str, Any]:
        status = call.query.get("status") or None
        if status is not None and not _STATUS.fullmatch(status):
            raise ApiError(400, "推送状态不对")
        return {"broadcasts": list_broadcasts(self.ledger.engine, call.staff, status=status)}

    def progress(self, call: Call) -> Dict[str, Any]:
        row = self._visible_broadcast(call)
        report, counts, finished = self._deliveries(row)
        return {"broadcast": broadcast_json(row), "counts": counts, "report": report, "finished": finished}

    def _deliveries(self, row: Row) -> Tuple[Dict[str, Dict[str, int]], Dict[str, int], bool]:
        """The report by channel, the counts by status, and whether nothing is left to send."""
        report = self.store.report(row.id)
        counts: Dict[str, int] = {}
        for by_status in report.values():
            for status, count in by_status.items():
                counts[status] = counts.get(status, 0) + count
        finished = row.status not in ACTIVE or (row.status == "running" and not any(counts.get(s) for s in IN_FLIGHT))
        return report, counts, finished

    def approve(self, call: Call) -> Dict[str, Any]:
        if not call.staff.city:
            raise ApiError(403, "只有市级工作人员可以审批全市推送")
        row = self._visible_broadcast(call)
        try:
            self.store.approve(row.id, call.staff.username)
        except NoticeError as error:
            if "second person" in str(error):
                raise ApiError(409, "全市推送需由另一位市级工作人员审批，不能审批自己发起的推送") from None
            raise ApiError(409, "这条推送不需要审批，或已经处理过") from None
        self.ledger.audit(call.staff.username, "broadcast_approve", {"broadcast_id": row.id, "notice_id": row.notice_id})
        return {"ok": True, "status": self._broadcast(row.id).status}

    def cancel(self, call: Call) -> Dict[str, Any]:
        row = self._visible_broadcast(call)
        skipped = self._stop(row.id, call.staff.username)
        if skipped is None:
            raise ApiError(409, "这条推送已经结束，无法取消")
        return {"ok": True, "skipped": skipped}

    def _stop(self, broadcast_id: int, staff: str) -> Optional[int]:
        """Cancel a broadcast not yet finished (audited); how many deliveries were skipped, or None."""
        row = self._broadcast(broadcast_id)
        if self._deliveries(row)[2]:
            return None
        skipped = self.store.cancel(row.id)
        self.ledger.audit(staff, "broadcast_cancel", {"broadcast_id": row.id, "notice_id": row.notice_id, "skipped": skipped})
        return skipped

    def _visible_broadcast(self, call: Call) -> Row:
        row = broadcast_row(self.ledger.engine, int(call.params["broadcast_id"]))
        if row is None or not call.staff.sees(row.district):
            raise ApiError(404, "没有这条推送，或不在你的管辖范围内")
        return row

    def _broadcast(self, broadcast_id: int) -> Row:
        row = broadcast_row(self.ledger.engine, broadcast_id)
        assert row is not None
        return row
