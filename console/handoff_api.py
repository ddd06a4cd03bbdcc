"""The handoff queue (转人工) and the list of questions the assistant could not answer.

Cases: city staff see every case; district staff their own district's cases and those of
graduates whose district is not known (not registered). Staff read the conversation so far,
reply (delivered on the graduate's channel by the push worker) and close the case; replies and
closes are written to the audit log (the case number, never the text).

Unanswered questions (no one's identity, numbers masked): grouped by text, most asked first;
scoped as the cases (district staff: their district's questions and those of askers who are not
registered); marking one handled (added to the knowledge base, or ignored) marks only the records
in the staff member's scope, and is audit-logged too.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from starlette.routing import BaseRoute, Route

from console.accounts import Staff, StaffStore
from console.web import ApiError, Call, choice_field, endpoint, text_field
from db.engine import now
from handoff.store import MAX_REPLY, Case, HandoffError, HandoffStore, Message
from ledger.export import beijing_time
from ledger.store import Ledger
from unanswered.store import RESOLUTIONS, Question, UnansweredStore

CHANNELS = {"wx": "微信", "tg": "Telegram", "web": "网页"}
AUTHORS = {"graduate": "毕业生", "assistant": "智能助手", "staff": "工作人员", "system": "系统"}
DELIVERY = {"pending": "待发送", "sending": "发送中", "sent": "已送达", "failed": "发送失败", "skipped": "未发送",
            "blocked": "对方已屏蔽", "unknown": "可能未送达"}
PREVIEW = 60


class HandoffApi:
    def __init__(self, accounts: StaffStore, ledger: Ledger) -> None:
        self.accounts = accounts
        self.ledger = ledger
        self.cases = HandoffStore(ledger.engine, ledger.cipher)
        self.questions = UnansweredStore(ledger.engine, ledger.cipher)

    def routes(self) -> List[BaseRoute]:
        return [
            Route("/console/api/handoffs", endpoint(self.accounts, self.list_cases), methods=["GET"]),
            Route("/console/api/handoffs/{case_id:int}", endpoint(self.accounts, self.show), methods=["GET"]),
            Route("/console/api/handoffs/{case_id:int}/reply", endpoint(self.accounts, self.reply, write=True), methods=["POST"]),
            Route("/console/api/handoffs/{case_id:int}/close", endpoint(self.accounts, self.close, write=True), methods=["POST"]),
            Route("/console/api/unanswered", endpoint(self.accounts, self.unanswered), methods=["GET"]),
            Route("/console/api/unanswered/{key}/resolve", endpoint(self.accounts, self.resolve, write=True), methods=["POST"]),
        ]

    # ---- cases
    def list_cases(self, call: Call) -> Dict[str, Any]:
        status = call.query.get("status", "open")
        if status not in ("open", "closed"):
            raise ApiError(400, "status 应为 open 或 closed")
        summaries = self.cases.cases(status, scope(call.staff))
        return {"cases": [summary_json(s) for s in summaries], "max_reply": MAX_REPLY}

    def show(self, call: Call) -> Dict[str, Any]:
        case = self._case(call)
        return {"case": case_json(case), "messages": [message_json(m) for m in self.cases.messages(case.id)],
                "max_reply": MAX_REPLY}

    def reply(self, call: Call) -> Dict[str, Any]:
        case = self._case(call)
        text = text_field(call.body, "text", "回复内容", MAX_REPLY, required=True)
        assert text is not None
        try:
            message_id = self.cases.reply(case.id, call.staff.username, text)
        except HandoffError as error:
            raise ApiError(409, str(error)) from None
        self.ledger.audit(call.staff.username, "handoff_reply", {"case": case.id, "message": message_id})
        note = None if case.wechat_window_open(now()) else "对方超过48小时未发消息，微信不允许客服消息，这条回复可能无法送达。"
        return {"ok": True, "message": message_id, "note": note}

    def close(self, call: Call) -> Dict[str, Any]:
        case = self._case(call)
        if not self.cases.close(case.id, call.staff.username, notify=True):
            raise ApiError(409, "会话已经结束")
        self.ledger.audit(call.staff.username, "handoff_close", {"case": case.id})
        return {"ok": True}

    def _case(self, call: Call) -> Case:
        case = self.cases.get(int(call.params["case_id"]))
        if case is None or not visible(case, call.staff):
            raise ApiError(404, "没有这个会话，或不在你的管辖范围内")
        return case

    # ---- unanswered questions
    def unanswered(self, call: Call) -> Dict[str, Any]:
        return {"questions": [question_json(q) for q in self.questions.open_questions(districts=scope(call.staff))],
                "resolutions": RESOLUTIONS}

    def resolve(self, call: Call) -> Dict[str, Any]:
        resolution = choice_field(call.body, "resolution", RESOLUTIONS, "请选择处理方式")
        key = str(call.params["key"])
        if not (len(key) == 64 and all(c in "0123456789abcdef" for c in key)):
            raise ApiError(404, "没有这个问题")
        count = self.questions.resolve(key, resolution, call.staff.username, scope(call.staff))
        if not count:
            raise ApiError(404, "没有这个问题，或已经处理过了")
        self.ledger.audit(call.staff.username, "unanswered_resolve", {"question": key[:12], "records": count,
                                                                       "resolution": resolution})
        return {"ok": True, "records": count}


def scope(staff: Staff) -> Optional[List[Optional[str]]]:
    return None if staff.city else [staff.district, None]


def visible(case: Case, staff: Staff) -> bool:
    return staff.city or case.district is None or case.district == staff.district


def case_json(case: Case) -> Dict[str, Any]:
    return {
        "id": case.id, "channel": case.channel, "channel_label": CHANNELS.get(case.channel, case.channel),
        "district": case.district, "status": case.status, "opened_at": beijing_time(case.opened_at),
        "last_inbound_at": beijing_time(case.last_inbound_at), "claimed_by": case.claimed_by,
        "closed_at": beijing_time(case.closed_at), "closed_by": case.closed_by,
        "window_open": case.wechat_window_open(now()),
    }


def summary_json(summary: Dict[str, Any]) -> Dict[str, Any]:
    last: Optional[Message] = summary["last"]
    preview = ""
    if last is not None:
        preview = f"{AUTHORS.get(last.author, last.author)}：{last.text[:PREVIEW]}{'…' if len(last.text) > PREVIEW else ''}"
    return {**case_json(summary["case"]), "waiting": summary["waiting"], "preview": preview}


def message_json(message: Message) -> Dict[str, Any]:
    return {
        "id": message.id, "at": beijing_time(message.at, "%Y-%m-%d %H:%M:%S"), "author": message.author,
        "author_label": AUTHORS.get(message.author, message.author), "staff": message.staff, "text": message.text,
        "delivery": message.delivery, "delivery_label": DELIVERY.get(message.delivery or "", ""),
        "error": message.last_error,
    }


def question_json(question: Question) -> Dict[str, Any]:
    return {
        "key": question.key, "text": question.text, "count": question.count,
        "first_at": beijing_time(question.first_at), "last_at": beijing_time(question.last_at),
        "channels": [CHANNELS.get(c, c) for c in question.channels], "reasons": question.reasons,
        "guess": question.guess, "districts": question.districts,
    }
