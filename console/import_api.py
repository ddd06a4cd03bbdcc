"""名单导入 in the console: staff upload the handed-over list (.xlsx or .csv, at most 10 MB, the file
itself as the request body), see the preview, and confirm. The confirm writes exactly what the
preview showed: the parsed list is kept here, in this process's memory, under a random token for
ten minutes (bound to the staff member who uploaded it), and ledger.importer.commit refuses if the
ledger changed in between. District staff import the rows of their own district only; city staff
everything. Previews and imports are audit-logged with counts only (ledger.importer for imports).

The console runs as one process (`python -m console`); behind several workers a confirm could
reach a process without the token, and staff are asked to upload again.
"""
from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.gateway.http import read_limited
from console.accounts import Staff, StaffStore
from console.web import COOKIE, ApiError, Call, check_csrf, endpoint, refusal, storable
from db.pii import mask_id_number, mask_name, mask_phone
from ledger.export import beijing_time
from ledger.importer import (LABELS, DistrictNames, ImportChanged, ImportFileError, ListFile, Preview, commit, preview,
                             read_list, recent_batches)
from ledger.store import Ledger
from policy_kb.loader import DEFAULT_DATA_DIR

MAX_FILE = 10 * 1024 * 1024
PENDING_SECONDS = 600
MOST_PENDING = 20  # previews waiting for a confirm, all staff together (each holds a parsed list)
SHOWN = 500  # rows of each kind listed in the preview (the counts are always complete)
SAMPLE = 20  # rows to add shown, so staff see the columns were read right
NOTE = "与台账已有记录匹配的行只补填该记录的空白项，不改动已有内容（毕业生在对话中填写的内容不会被覆盖），也不会重复新增。"


@dataclass
class Pending:
    username: str
    expires: float
    listed: ListFile
    shown: Preview


class PendingImports:
    """Parsed uploads waiting for their confirm, by token; the oldest go first beyond MOST_PENDING."""

    def __init__(self, seconds: float = PENDING_SECONDS, most: int = MOST_PENDING) -> None:
        self.seconds = seconds
        self.most = most
        self._items: Dict[str, Pending] = {}
        self._lock = threading.Lock()

    def put(self, username: str, listed: ListFile, shown: Preview) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._drop_expired()
            while len(self._items) >= self.most:
                self._items.pop(next(iter(self._items)))
            self._items[token] = Pending(username, time.monotonic() + self.seconds, listed, shown)
        return token

    def take(self, token: str, username: str) -> Optional[Pending]:
        """The upload under `token` if it is this staff member's and not expired (then forgotten)."""
        with self._lock:
            self._drop_expired()
            found = self._items.get(token)
            if found is None or found.username != username:
                return None
            return self._items.pop(token)

    def _drop_expired(self) -> None:
        moment = time.monotonic()
        for token in [t for t, p in self._items.items() if p.expires <= moment]:
            del self._items[token]


class ImportApi:
    def __init__(self, accounts: StaffStore, ledger: Ledger, names: Optional[DistrictNames] = None) -> None:
        self.accounts = accounts
        self.ledger = ledger
        self.names = names or DistrictNames.from_kb(Path(os.environ.get("POLICY_KB_DIR") or DEFAULT_DATA_DIR))
        self.pending = PendingImports()

    def routes(self) -> List[BaseRoute]:
        return [
            Route("/console/api/import/preview", self.upload, methods=["POST"]),
            Route("/console/api/import/confirm", endpoint(self.accounts, self.confirm, write=True), methods=["POST"]),
            Route("/console/api/import/batches", endpoint(self.accounts, self.batches), methods=["GET"]),
        ]

    async def upload(self, request: Request) -> Response:
        """The file as the body (any content type), its name in ?name=; session and CSRF token as
        for every write."""
        try:
            staff = await run_in_threadpool(self.accounts.session, request.cookies.get(COOKIE))
            if staff is None:
                raise ApiError(401, "请先登录")
            check_csrf(request, staff)
            name = (request.query_params.get("name") or "").strip()
            if not name or len(name) > 200 or not storable(name):
                raise ApiError(400, "请选择要导入的文件（文件名缺失或过长）")
            data = await read_limited(request, MAX_FILE)
            if data is None:
                raise ApiError(413, f"文件过大（最大 {MAX_FILE // 1024 // 1024} MB），请分成几个文件导入")
            result = await run_in_threadpool(self._preview, staff, name, data)
        except ApiError as error:
            return refusal(error)
        return JSONResponse(result)

    def _preview(self, staff: Staff, name: str, data: bytes) -> Dict[str, Any]:
        scope = None if staff.city else staff.district
        try:
            listed = read_list(data, name, self.names, scope)
        except ImportFileError as error:
            raise ApiError(400, f"文件无法导入：{error}") from None
        shown = preview(self.ledger, listed)
        token = self.pending.put(staff.username, listed, shown)
        self.ledger.audit(staff.username, "import_preview", {**shown.counts(), "district": scope})
        return {"token": token, "expires_in": PENDING_SECONDS, **preview_json(shown, staff)}

    def confirm(self, call: Call) -> Dict[str, Any]:
        token = call.body.get("token")
        pending = self.pending.take(token, call.staff.username) if isinstance(token, str) else None
        if pending is None:
            raise ApiError(410, "预览已过期或已导入，请重新上传文件")
        try:
            batch = commit(self.ledger, pending.listed, call.staff.username, pending.shown)
        except ImportChanged:
            raise ApiError(409, "预览之后台账有了变化（如有毕业生刚刚登记），为免与预览不符，本次未写入：请重新上传预览") from None
        return {"batch": batch.id, "counts": batch.counts}

    def batches(self, call: Call) -> Dict[str, Any]:
        rows = recent_batches(self.ledger, None if call.staff.city else call.staff.district)
        return {"batches": [{"id": r["id"], "filename": r["filename"], "staff": r["staff"], "district": r["district"],
                             "total": r["total"], "added": r["added"], "matched": r["matched"], "repeated": r["duplicates"],
                             "rejected": r["rejected"], "created_at": beijing_time(r["created_at"])} for r in rows]}


def preview_json(shown: Preview, staff: Staff) -> Dict[str, Any]:
    """The preview for the page: complete counts, the first SHOWN rows of each kind, masked."""
    return {
        "filename": shown.filename,
        "district": shown.district,
        "counts": shown.counts(),
        "note": NOTE,
        "shown_limit": SHOWN,
        "rejected": [{"line": r.line, "reason": r.reason, "text": str(r)} for r in shown.rejected[:SHOWN]],
        "repeated": [{"line": r.line, "first_line": r.first_line, "text": str(r)} for r in shown.repeated[:SHOWN]],
        "matched": [{"line": m.entry.line, "name": mask_name(m.entry.name), "registered": m.registered,
                     "ref": m.ref if staff.sees(m.district) else None, "district": m.district,
                     "fills": [LABELS[f] for f in m.fills]} for m in shown.matched[:SHOWN]],
        "sample": [{"line": e.line, "name": mask_name(e.name), "id_number": mask_id_number(e.id_number),
                    "phone": mask_phone(e.phone), "school": e.school, "major": e.major, "degree": e.degree,
                    "grad_year": e.grad_year, "district": e.district} for e in shown.add[:SAMPLE]],
    }
