"""The handoff action in-process on the session's ledger: a case with the conversation so far, the
assistant quiet while it is open, ended by the graduate or by staff (then the message is answered
as usual), and the questions the assistant could not answer kept for staff."""
from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from sqlalchemy import update

from actions.fallback import ActionClarify, ActionOutOfScope
from actions.handoff import NAME, QUIET, ActionHandoff, ends, handoff_store, opening_text, question_after_leaving
from actions.storage import open_ledger
from db.engine import now
from db.tables import handoffs
from ledger.model import Registration
from tests.actions.conftest import SLOTS, run
from unanswered.store import UnansweredStore


def tracker(sender: str, text: str, intent: str, slots: Optional[Dict[str, Any]] = None,
            before: Optional[List[Dict[str, Any]]] = None, confidence: float = 0.9) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": [],
               "intent_ranking": [{"name": intent, "confidence": confidence}]}
    all_slots = {name: None for name in SLOTS}
    all_slots.update(slots or {})
    events = [*(before or []), {"event": "user", "text": text, "parse_data": message}]
    return Tracker(sender, all_slots, message, events, False, None, {}, "action_listen")


def sender() -> str:
    return f"tg:{secrets.randbelow(10**9)}"


SO_FAR = [{"event": "user", "text": "见习补贴怎么领"}, {"event": "bot", "text": "就业见习补贴……"}]


def test_asking_for_a_person_opens_a_case_with_the_conversation_so_far() -> None:
    graduate = sender()
    result = run(ActionHandoff(), tracker(graduate, "转人工", "request_human", before=SO_FAR))
    assert "已为你转接人工服务" in result.text and "结束人工" in result.text and "12333" in result.text
    assert result.slot("active_task") == NAME
    case = handoff_store().current(graduate)
    assert case is not None
    assert [(m.author, m.text) for m in handoff_store().messages(case.id)] == [
        ("graduate", "见习补贴怎么领"), ("assistant", "就业见习补贴……"), ("graduate", "转人工")]


def test_while_the_case_is_open_the_assistant_is_quiet_and_the_messages_reach_the_case() -> None:
    graduate = sender()
    run(ActionHandoff(), tracker(graduate, "转人工", "request_human"))
    result = run(ActionHandoff(), tracker(graduate, "我的档案在学校，怎么转回海淀", "ask_institution", {"active_task": NAME}))
    assert [m.get("custom") for m in result.messages] == [QUIET] and result.text == "" and result.events == []
    case = handoff_store().current(graduate)
    assert case is not None and handoff_store().messages(case.id)[-1].text == "我的档案在学校，怎么转回海淀"
    again = run(ActionHandoff(), tracker(graduate, "人工客服呢", "request_human", {"active_task": NAME}))
    assert "已经在为你转接" in again.text and again.slot("active_task") == NAME


def test_the_graduate_can_end_it() -> None:
    graduate = sender()
    run(ActionHandoff(), tracker(graduate, "转人工", "request_human"))
    result = run(ActionHandoff(), tracker(graduate, "结束人工", "nlu_fallback", {"active_task": NAME}))
    assert "已结束人工服务" in result.text and result.slot("active_task") is None
    assert handoff_store().current(graduate) is None
    closed = handoff_store().latest(graduate)
    assert closed is not None and closed.closed_by == "graduate"


def test_after_staff_close_the_case_the_next_question_is_answered_as_usual() -> None:
    graduate = sender()
    run(ActionHandoff(), tracker(graduate, "转人工", "request_human"))
    case = handoff_store().current(graduate)
    assert case is not None and handoff_store().close(case.id, "haidian", notify=True)
    result = run(ActionHandoff(), tracker(graduate, "社保补贴是什么", "ask_policy", {"active_task": NAME}))
    assert result.slot("active_task") is None
    assert "【社保补贴】" in result.text and "来源：通知" in result.text


def test_questions_the_assistant_could_not_answer_are_kept_without_who_asked() -> None:
    ledger = open_ledger()
    questions = UnansweredStore(ledger.engine, ledger.cipher)
    marker = secrets.token_hex(3)
    run(ActionClarify(), tracker(sender(), f"那个{marker}咋整", "nlu_fallback", confidence=0.3))
    run(ActionOutOfScope(), tracker(sender(), f"帮我订{marker}机票，手机13812345678", "out_of_scope"))
    kept = {q.text: q for q in questions.open_questions(1000) if marker in q.text}
    assert set(kept) == {f"那个{marker}咋整", f"帮我订{marker}机票，手机138****5678"}
    assert kept[f"那个{marker}咋整"].reasons == ["unclear"] and kept[f"那个{marker}咋整"].channels == ["tg"]


def test_an_unanswered_question_carries_the_askers_registered_district() -> None:
    """For the console's district scope; the graduate's identity itself is not kept."""
    ledger = open_ledger()
    questions = UnansweredStore(ledger.engine, ledger.cipher)
    marker, registered = secrets.token_hex(3), sender()
    ledger.save(registered, Registration(name="李明", phone=f"139{secrets.randbelow(10**8):08d}", district="朝阳区"))
    try:
        run(ActionClarify(), tracker(registered, f"朝阳{marker}咋整", "nlu_fallback", confidence=0.3))
        run(ActionClarify(), tracker(sender(), f"那个{marker}咋整", "nlu_fallback", confidence=0.3))
    finally:
        ledger.delete(registered)
    kept = {q.text: q.districts for q in questions.open_questions(1000) if marker in q.text}
    assert kept == {f"朝阳{marker}咋整": ["朝阳区"], f"那个{marker}咋整": []}


def test_a_question_asked_again_in_one_session_counts_once() -> None:
    """Sent again and again (a flood, or impatience) it is one ask; in a new session it counts again."""
    ledger = open_ledger()
    questions = UnansweredStore(ledger.engine, ledger.cipher)
    marker = secrets.token_hex(3)
    graduate, earlier = sender(), []
    for typed in (f"{marker}怎么弄", f"{marker} 怎么弄？", f"{marker}怎么弄!!", f"{marker}怎么弄"):
        run(ActionOutOfScope(), tracker(graduate, typed, "out_of_scope", before=list(earlier)))
        earlier += [{"event": "user", "text": typed}, {"event": "bot", "text": "抱歉，这个我帮不上忙。"}]
    new_session = [*earlier, {"event": "action", "name": "action_session_start"}, {"event": "session_started"}]
    run(ActionOutOfScope(), tracker(graduate, f"{marker}怎么弄", "out_of_scope", before=new_session))
    run(ActionClarify(), tracker(sender(), f"{marker}怎么弄", "nlu_fallback", confidence=0.3))
    kept = [q for q in questions.open_questions(1000) if marker in q.text]
    assert [q.count for q in kept] == [3]


# ---- leaving in the graduate's own words, and acknowledgements while the case is open

@pytest.mark.parametrize("words", ["不用了", "算了", "不用了谢谢", "我自己看看", "没事了", "好的不需要了", "算了不用人工了", "不找人工了",
                                   "不用了，谢谢！", "不用了 不转了", "算了不用人工了 我自己问吧", "别转了"])
def test_natural_ways_to_leave_end_the_case(words: str) -> None:
    graduate = sender()
    run(ActionHandoff(), tracker(graduate, "转人工", "request_human"))
    result = run(ActionHandoff(), tracker(graduate, words, "deny", {"active_task": NAME}))
    assert "已结束人工服务" in result.text and result.slot("active_task") is None
    closed = handoff_store().latest(graduate)
    assert closed is not None and closed.closed_by == "graduate" and handoff_store().current(graduate) is None


@pytest.mark.parametrize("words", ["Never mind", "No thanks, I'm fine", "OK, never mind"])
def test_leaving_in_english_ends_the_case_and_is_said_in_english(words: str) -> None:
    graduate = sender()
    run(ActionHandoff(), tracker(graduate, "Can I talk to a human?", "request_human"))
    result = run(ActionHandoff(), tracker(graduate, words, "deny", {"active_task": NAME}))
    assert result.text.startswith("OK, the chat with staff is closed") and result.slot("active_task") is None
    assert handoff_store().current(graduate) is None


def test_a_question_that_only_contains_a_leaving_word_still_goes_to_staff() -> None:
    graduate = sender()
    run(ActionHandoff(), tracker(graduate, "转人工", "request_human"))
    question = "算了，我还是想问问档案怎么转回海淀"
    result = run(ActionHandoff(), tracker(graduate, question, "ask_institution", {"active_task": NAME}))
    assert "已结束" not in result.text and result.events == []
    case = handoff_store().current(graduate)
    assert case is not None and handoff_store().messages(case.id)[-1].text == question


@pytest.mark.parametrize("words", ["有人吗", "在吗？", "怎么还没人回"])
def test_asking_whether_anyone_is_there_is_acknowledged_and_passed_on(words: str) -> None:
    graduate = sender()
    run(ActionHandoff(), tracker(graduate, "转人工", "request_human"))
    result = run(ActionHandoff(), tracker(graduate, words, "greet", {"active_task": NAME}))
    assert "转给工作人员" in result.text and "在这里回复你" in result.text
    assert "结束人工" in result.text and "不用了" in result.text
    assert result.events == [] and handoff_store().current(graduate) is not None
    case = handoff_store().current(graduate)
    assert case is not None and handoff_store().messages(case.id)[-1].text == words


def test_an_ordinary_message_is_acknowledged_at_most_every_few_minutes() -> None:
    graduate = sender()
    run(ActionHandoff(), tracker(graduate, "转人工", "request_human"))
    case = handoff_store().current(graduate)
    assert case is not None
    with handoff_store().engine.begin() as conn:  # the case was opened ten minutes ago
        conn.execute(update(handoffs).where(handoffs.c.id == case.id).values(opened_at=now() - timedelta(minutes=10)))
    opening = {"event": "bot", "text": opening_text(False), "timestamp": time.time() - 600}
    first = run(ActionHandoff(), tracker(graduate, "我档案在学校", "ask_institution", {"active_task": NAME}, [opening]))
    assert "转给工作人员" in first.text and "结束人工" in first.text
    acked = {"event": "bot", "text": first.text, "timestamp": time.time() - 10}
    second = run(ActionHandoff(), tracker(graduate, "学校在外地", "inform", {"active_task": NAME}, [opening, acked]))
    assert [m.get("custom") for m in second.messages] == [QUIET] and second.text == ""
    acked["timestamp"] = time.time() - 6 * 60
    third = run(ActionHandoff(), tracker(graduate, "要怎么转", "ask_institution", {"active_task": NAME}, [opening, acked]))
    assert "转给工作人员" in third.text
    assert [m.text for m in handoff_store().messages(case.id)][-3:] == ["我档案在学校", "学校在外地", "要怎么转"]


def test_leaving_said_in_several_clauses_still_ends_the_case_but_a_question_does_not() -> None:
    assert ends("不用了，取消转人工") and ends("好的，不用了，谢谢")
    assert not ends("算了，我还是想问一下见习补贴")
    assert ends("等了好久没人理，算了不用人工了") and ends("你们怎么还不回？不用人工了")
    assert not ends("见习补贴多少？不用人工了")
    assert ends("不用了 结束吧") and ends("结束吧") and ends("退出人工")
    assert ends("算了不用了，我还是问你吧") and ends("我还是问你吧")  # back to the assistant
    assert ends("没事了，问题已经解决了，谢谢") and ends("解决了 谢谢你们")  # thanks after leaving leaves too
    assert not ends("谢谢") and not ends("谢谢，见习补贴多少？")  # thanks alone, or with a question, stays with staff


def test_leaving_the_person_with_a_question_in_the_same_message_ends_the_case_and_answers_it() -> None:
    graduate = sender()
    run(ActionHandoff(), tracker(graduate, "转人工", "request_human"))
    result = run(ActionHandoff(), tracker(graduate, "算了不用人工了，问一下见习补贴多少", "request_human", {"active_task": NAME}))
    assert "已结束人工服务" in result.text and "最低工资" in result.text
    assert result.slot("active_task") is None and handoff_store().current(graduate) is None
    assert question_after_leaving("算了，我还是想问一下见习补贴") is None  # “算了” alone: the question is for staff


def test_a_question_about_the_hotline_is_answered_while_the_case_stays_open() -> None:
    graduate = sender()
    run(ActionHandoff(), tracker(graduate, "有没有人工客服", "request_human"))
    for text in ("电话呢", "12333几点能打", "晚上能打吗"):
        result = run(ActionHandoff(), tracker(graduate, text, "ask_policy", {"active_task": NAME}))
        assert "12333" in result.text and "24小时" in result.text, text
    case = handoff_store().current(graduate)
    assert case is not None and [m.text for m in handoff_store().messages(case.id)][-3:] == ["电话呢", "12333几点能打", "晚上能打吗"]


def test_a_question_taken_for_a_request_for_a_person_is_answered_and_opens_no_case() -> None:
    graduate = sender()
    asked = "我是社区工作人员。区人社局是通过什么办法摸清辖区离校未就业毕业生情况的？要摸清哪些信息？"
    result = run(ActionHandoff(), tracker(graduate, asked, "request_human", confidence=0.65))
    assert "已为你转接人工服务" not in result.text and "摸清" in result.text and "来源：" in result.text
    assert handoff_store().current(graduate) is None
    # asking for one, in the story's words or not, still reaches staff
    for words in ("能不能找个工作人员帮我看看？", "有真人吗"):
        person = sender()
        assert "已为你转接人工服务" in run(ActionHandoff(), tracker(person, words, "request_human")).text, words
