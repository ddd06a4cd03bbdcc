"""The monthly report (督查通报) in the console: the figures of a month as JSON for the page (exact
counts: staff logged in to the console are allowed to see them) and as the .xlsx with small counts
hidden (what leaves the console). District staff get their own district and the city total, never
another district's row; city staff every district. Downloads are written to the audit log."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from console.accounts import Staff, StaffStore
from console.web import ApiError, Call, endpoint
from ledger.report import COUNTS, MAIN, SHARES, Figures, Month, Report, ReportError, Row, beijing_today, build, export_xlsx
from ledger.store import Ledger

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ORDER_RULE = "排序：服务达标率最低的区在前，其次联系率低、困难家庭机会不足多、名单人数多。"


class ReportApi:
    def __init__(self, accounts: StaffStore, ledger: Ledger) -> None:
        self.accounts = accounts
        self.ledger = ledger

    def routes(self) -> List[BaseRoute]:
        return [
            Route("/console/api/report", endpoint(self.accounts, self.figures), methods=["GET"]),
            Route("/console/api/report.xlsx", endpoint(self.accounts, self.xlsx), methods=["GET"]),
        ]

    def figures(self, call: Call) -> Dict[str, Any]:
        month = month_of(call.query.get("month"))
        whole = build(self.ledger.engine, month)
        report = whole.scoped(scope(call.staff))
        ranks = {row.label: rank for rank, row in enumerate(whole.rows, start=1)}
        return {
            "month": str(month), "label": month.label, "as_of": report.as_of.isoformat(), "previous": str(month.previous()),
            "current_month": str(Month.containing(beijing_today())), "scope": scope(call.staff) or "全市",
            "districts": len(whole.rows), "counts": COUNTS, "shares": {key: label for key, (label, _, _) in SHARES.items()},
            "main": [*MAIN, *SHARES], "order_rule": ORDER_RULE,
            "rows": [row_json(row, ranks.get(row.label)) for row in report.rows],
            "total": row_json(report.total, None),
            "trend": {"months": [str(each.month) for each in report.trend],
                      "series": [trend_json(report, row) for row in [*report.rows, report.total]]},
        }

    def xlsx(self, call: Call) -> Response:
        month = month_of(call.query.get("month"))
        district = scope(call.staff)
        name = f"report-{month}.xlsx"
        with tempfile.TemporaryDirectory(prefix="console-report-") as folder:
            path = export_xlsx(build(self.ledger.engine, month), Path(folder) / name, district)
            content = path.read_bytes()
        self.ledger.audit(call.staff.username, "report_export", {"month": str(month), "district": district, "via": "console"})
        return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def scope(staff: Staff) -> Optional[str]:
    """None: the whole city; else the one district the staff member sees."""
    return None if staff.city else staff.district


def month_of(value: Optional[str]) -> Month:
    """The month asked for (YYYY-MM); the current month when none is."""
    if value is None or not value.strip():
        return Month.containing(beijing_today())
    try:
        return Month.parse(value)
    except ReportError as error:
        raise ApiError(400, error.zh) from None


def figures_json(figures: Figures) -> Dict[str, Any]:
    return {**{key: figures[key] for key in COUNTS}, **{key: figures.share(key) for key in SHARES}}


def row_json(row: Row, rank: Optional[int]) -> Dict[str, Any]:
    return {"label": row.label, "district": row.district, "total": row.total, "rank": rank,
            "current": figures_json(row.current), "previous": figures_json(row.previous),
            "change": {key: row.change(key) for key in [*MAIN, *SHARES]}}


def trend_json(report: Report, row: Row) -> Dict[str, Any]:
    points = report.trend_of(row)
    return {"label": row.label, "total": row.total,
            "share_reached": [figures.share("share_reached") for _, figures in points],
            "share_served": [figures.share("share_served") for _, figures in points]}
