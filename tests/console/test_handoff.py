"""The handoff queue and the unanswered questions through the console on SQLite and PostgreSQL:
district scope, the conversation so far, replies queued for delivery, closing, the WeChat window
warning, CSRF, and the audit log (case numbers, never texts)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from db.engine import now
from db.tables import handoffs
from handoff.store import CLOSING_NOTICE, HandoffStore
from tests.console.conftest import Console
from unanswered.store import UnansweredStore


def open_cases(console: Console) -> dict:
    store = HandoffStore(console.ledger.engine, console.ledger.cipher)
    said = [("graduate", "我在海淀，想问见习补贴"), ("assistant", "见习补贴……"), ("graduate", "转人工")]
    return {
        "haidian": store.open("tg:5001", "海淀区", said)[0].id,
        "chaoyang": store.open("wx:o-5002", "朝阳区", [("graduate", "转人工")])[0].id,
        "unknown": store.open("web:s5003abcdefghijklmnopqrstu", None, [("graduate", "转人工")])[0].id,
    }


def test_district_staff_see_their_district_and_graduates_of_unknown_district(console: Console) -> None:
    ids = open_cases(console)
    haidian = console.login("haidian")
    listed = haidian.get("/handoffs").json()["cases"]
    assert [c["id"] for c in listed] == [ids["haidian"], ids["unknown"]]
    assert all(c["waiting"] for c in listed) and listed[0]["preview"] == "毕业生：转人工"
    assert haidian.get(f"/handoffs/{ids['chaoyang']}").status_code == 404
    assert haidian.post(f"/handoffs/{ids['chaoyang']}/reply", {"text": "你好"}).status_code == 404
    city = console.login("city1").get("/handoffs").json()["cases"]
    assert sorted(c["id"] for c in city) == sorted(ids.values())


def test_staff_read_the_conversation_reply_and_close(console: Console) -> None:
    ids = open_cases(console)
    session = console.login("haidian")
    shown = session.get(f"/handoffs/{ids['haidian']}").json()
    assert [(m["author_label"], m["text"]) for m in shown["messages"]] == [
        ("毕业生", "我在海淀，想问见习补贴"), ("智能助手", "见习补贴……"), ("毕业生", "转人工")]
    reply = session.ok(f"/handoffs/{ids['haidian']}/reply", {"text": "你好，我是海淀区的工作人员，请说一下你的毕业年份。"})
    assert reply["note"] is None
    shown = session.get(f"/handoffs/{ids['haidian']}").json()
    assert shown["messages"][-1]["author"] == "staff" and shown["messages"][-1]["delivery"] == "pending"
    assert shown["case"]["claimed_by"] == "haidian"
    assert session.get("/handoffs").json()["cases"][0]["waiting"] is False
    session.ok(f"/handoffs/{ids['haidian']}/close")
    closed = session.get(f"/handoffs/{ids['haidian']}").json()
    assert closed["case"]["status"] == "closed" and closed["messages"][-1]["text"] == CLOSING_NOTICE
    assert session.post(f"/handoffs/{ids['haidian']}/reply", {"text": "还在吗"}).status_code == 409
    assert session.post(f"/handoffs/{ids['haidian']}/close").status_code == 409
    assert [c["id"] for c in session.get("/handoffs", status="closed").json()["cases"]] == [ids["haidian"]]
    audit = [e for e in console.ledger.audit_entries() if e["action"].startswith("handoff_")]
    assert [e["action"] for e in audit] == ["handoff_reply", "handoff_close"]
    assert all("工作人员" not in str(e["detail"]) for e in audit)  # the case number, never the text


def test_bad_replies_and_missing_csrf_change_nothing(console: Console) -> None:
    ids = open_cases(console)
    session = console.login("city1")
    before = len(session.get(f"/handoffs/{ids['haidian']}").json()["messages"])
    assert session.post(f"/handoffs/{ids['haidian']}/reply", {"text": "你好"}, csrf=None).status_code == 403
    assert session.post(f"/handoffs/{ids['haidian']}/reply", {"text": "你好"}, csrf="forged").status_code == 403
    assert session.post(f"/handoffs/{ids['haidian']}/reply", {"text": "  "}).status_code == 400
    assert session.post(f"/handoffs/{ids['haidian']}/reply", {"text": "长" * 601}).status_code == 400
    assert session.post(f"/handoffs/{ids['haidian']}/reply", {"text": ["not", "text"]}).status_code == 400
    assert session.post("/handoffs/999999/reply", {"text": "你好"}).status_code == 404
    assert session.get("/handoffs", status="everything").status_code == 400
    assert len(session.get(f"/handoffs/{ids['haidian']}").json()["messages"]) == before
    assert console.client().get("/console/api/handoffs").status_code == 401


def test_replies_outside_the_wechat_window_are_flagged(console: Console) -> None:
    ids = open_cases(console)
    with console.ledger.engine.begin() as conn:
        conn.execute(update(handoffs).where(handoffs.c.id == ids["chaoyang"]).values(last_inbound_at=now() - timedelta(hours=50)))
    session = console.login("chaoyang")
    assert session.get(f"/handoffs/{ids['chaoyang']}").json()["case"]["window_open"] is False
    assert "48小时" in session.ok(f"/handoffs/{ids['chaoyang']}/reply", {"text": "你好"})["note"]


def test_unanswered_questions_are_listed_and_marked_handled(console: Console) -> None:
    questions = UnansweredStore(console.ledger.engine, console.ledger.cipher)
    questions.record("tg", "灵活就业人员怎么交社保", "unclear", "ask_policy", 0.4)
    questions.record("wx", "灵活就业人员怎么交社保？", "gave_up", "nlu_fallback", 0.3)
    questions.record("web", "我手机13812345678能领补贴吗", "unclear", "check_eligibility", 0.5)
    session = console.login("haidian")
    listed = session.get("/unanswered").json()
    assert [(q["text"], q["count"]) for q in listed["questions"]] == [
        ("灵活就业人员怎么交社保？", 2), ("我手机138****5678能领补贴吗", 1)]
    key = listed["questions"][0]["key"]
    assert session.post(f"/unanswered/{key}/resolve", {"resolution": "added"}, csrf=None).status_code == 403
    assert session.post(f"/unanswered/{key}/resolve", {"resolution": "burn"}).status_code == 400
    assert session.post("/unanswered/not-a-key/resolve", {"resolution": "added"}).status_code == 404
    assert session.ok(f"/unanswered/{key}/resolve", {"resolution": "added"})["records"] == 2
    assert [q["text"] for q in session.get("/unanswered").json()["questions"]] == ["我手机138****5678能领补贴吗"]
    assert any(e["action"] == "unanswered_resolve" for e in console.ledger.audit_entries())


def test_district_staff_see_and_dismiss_only_their_district_and_unknown_districts_questions(console: Console) -> None:
    """Scoped as the handoff queue: a question carries the asker's registered district (none
    when they are not registered)."""
    questions = UnansweredStore(console.ledger.engine, console.ledger.cipher)
    questions.record("tg", "灵活就业人员怎么交社保", "unclear", "ask_policy", 0.4, district="海淀区")
    questions.record("wx", "灵活就业人员怎么交社保？", "unclear", "ask_policy", 0.4, district="朝阳区")
    questions.record("wx", "朝阳的招聘会在哪", "unclear", None, None, district="朝阳区")
    questions.record("web", "落户咋办", "unclear", None, None)
    city = console.login("city1")
    everything = {q["text"]: q for q in city.get("/unanswered").json()["questions"]}
    assert {text: (q["count"], q["districts"]) for text, q in everything.items()} == {
        "灵活就业人员怎么交社保？": (2, ["朝阳区", "海淀区"]), "朝阳的招聘会在哪": (1, ["朝阳区"]), "落户咋办": (1, [])}
    haidian = console.login("haidian")
    assert sorted((q["text"], q["count"]) for q in haidian.get("/unanswered").json()["questions"]) == [
        ("灵活就业人员怎么交社保", 1), ("落户咋办", 1)]
    chaoyang_only, shared = everything["朝阳的招聘会在哪"]["key"], everything["灵活就业人员怎么交社保？"]["key"]
    assert haidian.post(f"/unanswered/{chaoyang_only}/resolve", {"resolution": "ignored"}).status_code == 404
    assert haidian.ok(f"/unanswered/{shared}/resolve", {"resolution": "added"})["records"] == 1
    assert sorted((q["text"], q["count"]) for q in console.login("chaoyang").get("/unanswered").json()["questions"]) == [
        ("朝阳的招聘会在哪", 1), ("灵活就业人员怎么交社保？", 1), ("落户咋办", 1)]
    assert city.ok(f"/unanswered/{shared}/resolve", {"resolution": "ignored"})["records"] == 1
    assert sorted(q["text"] for q in city.get("/unanswered").json()["questions"]) == ["朝阳的招聘会在哪", "落户咋办"]
