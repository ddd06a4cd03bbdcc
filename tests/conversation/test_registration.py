"""Job-seeker registration end to end: the real Rasa server and action server with the trained
model, through the REST channel, with the ledger on SQLite and on the real PostgreSQL server."""
from __future__ import annotations

import json
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List, Tuple

import pytest
from sqlalchemy import create_engine, text

from devstack.stack import Stack
from ledger.config import settings_from_env
from ledger.store import Ledger
from tests.conftest import TEST_LEDGER_ENV, Conversation

pytestmark = pytest.mark.stack
PHONE = "13912345678"


@pytest.fixture
def talk(ledger_stack: Tuple[Stack, str], request: pytest.FixtureRequest) -> Iterator[Conversation]:
    stack, _ = ledger_stack
    conversation = Conversation(stack, f"web:{request.node.name}")
    yield conversation
    conversation.http.close()
    # the stack's ledger is shared by the session: free the test's phone number for the next test
    _, url = ledger_stack
    shared = Ledger.open(settings_from_env({**TEST_LEDGER_ENV, "DATABASE_URL": url}))
    shared.delete(conversation.sender)
    shared.delete_draft(conversation.sender)
    shared.close()


@pytest.fixture
def ledger(ledger_stack: Tuple[Stack, str]) -> Iterator[Ledger]:
    _, url = ledger_stack
    opened = Ledger.open(settings_from_env({**TEST_LEDGER_ENV, "DATABASE_URL": url}))
    yield opened
    opened.close()


ANSWERS = ["王芳", PHONE, "跳过", "北京工业大学", "会计学", "本科", "2022", "23", "海淀", "未就业", "行政文员", "不限", "1 2", "不属于"]


def start(talk: Conversation) -> str:
    notice = talk.text("我要登记")
    assert "同意" in notice and "保存多久" in notice and "删除" in notice
    return talk.text("同意")


def register(talk: Conversation, answers: List[str] = ANSWERS) -> str:
    start(talk)
    for answer in answers:
        last = talk.text(answer)
    return last


def tracker_dump(talk: Conversation) -> str:
    """Everything Rasa keeps about the conversation: slots, events, the graduate's own messages."""
    tracker = talk.http.get(f"/conversations/{talk.sender}/tracker").json()
    return json.dumps(tracker, ensure_ascii=False)


def test_whole_registration_saved_with_reference_and_masked(talk: Conversation, ledger: Ledger) -> None:
    summary = register(talk)
    assert "139****5678" in summary and PHONE not in summary
    assert "会计学" in summary and "海淀区" in summary
    done = talk.text("确认提交")
    assert "登记成功" in done and "QZ-" in done
    found = ledger.find(talk.sender)
    assert found is not None and found.ref in done
    reg = found.registration
    assert (reg.name, reg.phone, reg.school, reg.degree, reg.grad_year, reg.district) == ("王芳", PHONE, "北京工业大学", "本科", 2022, "海淀区")
    assert reg.services == ["guidance", "recommendation"] and reg.difficulty is False
    tracker = tracker_dump(talk)
    assert PHONE not in tracker and "139****5678" in tracker  # masked by the channel, even in the user's text
    assert talk.slot("active_task") is None
    # the assistant answers questions again once the registration is done
    assert "见习" in talk.text("就业见习补贴怎么申请")


def test_several_values_in_one_message_and_a_question_on_the_way(talk: Conversation, ledger: Ledger) -> None:
    start(talk)
    reply = talk.text("我叫王芳，手机 139-1234-5678")
    assert "身份证" in reply
    assert "13912345678" not in tracker_dump(talk) and "139-1234-5678" not in tracker_dump(talk)
    talk.text("跳过")
    aside = talk.say("对了，就业见习补贴怎么申请？")
    texts = "\n".join(m.get("text", "") for m in aside)
    assert "见习" in texts and "通知" in texts  # answered from the knowledge base, with its source
    assert "回到登记" in aside[-1]["text"] and "学校" in aside[-1]["text"]
    assert "北京工业大学" not in texts
    assert "专业" in talk.text("北京工业大学")


def test_a_question_only_retrieval_places_is_answered_aside_and_english_names_the_field(talk: Conversation) -> None:
    start(talk)
    aside = talk.say("等下 这个登记完了谁能看到我的信息")
    texts = "\n".join(m.get("text", "") for m in aside)
    assert "加密" in texts and "姓名" in aside[-1]["text"] and "真实姓名：2–6个汉字" not in texts
    assert "手机" in talk.text("My phone is 12345")  # the phone's problem, not the name's
    assert "继续登记" in talk.text("先暂停一下，我明天再弄")


def test_wrong_phone_is_asked_again_and_nothing_is_lost(talk: Conversation) -> None:
    start(talk)
    talk.text("李明")
    assert "11位数字，以1开头" in talk.text("1391234")
    assert "11位数字，以1开头" in talk.text("我的电话是 010-12345678")
    third = talk.text("😀😀😀")
    assert "转人工" in third and "12333" in third
    assert "身份证" in talk.text("13812345678")


def test_hostile_and_oversized_answers_are_reasked_or_stored_as_text(talk: Conversation, ledger: Ledger) -> None:
    start(talk)
    assert "姓名请填写真实姓名" in talk.text("<script>alert('x')</script>")
    assert "姓名请填写真实姓名" in talk.text("Robert'); DROP TABLE registrations;--")
    talk.text("张伟")
    talk.text("13700001111")
    talk.text("跳过")
    assert "太长" in talk.text("北京" * 1000)
    talk.text("Bobby'); DROP TABLE registrations;-- 学院")
    for answer in ANSWERS[4:]:
        talk.text(answer)
    talk.text("确认提交")
    found = ledger.find(talk.sender)
    assert found is not None and found.registration.school == "Bobby'); DROP TABLE registrations;-- 学院"
    assert ledger.counts()["registrations"] >= 1  # the table is still there


def test_cancel_mid_way_keeps_nothing(talk: Conversation, ledger: Ledger) -> None:
    start(talk)
    talk.text("王芳")
    talk.text(PHONE)
    reply = talk.text("算了，不登记了")
    assert "取消" in reply
    assert ledger.get_draft(talk.sender) is None and ledger.find(talk.sender) is None
    assert talk.slot("active_task") is None


def test_declining_the_privacy_notice_stores_nothing(talk: Conversation, ledger: Ledger) -> None:
    talk.text("我要登记")
    reply = talk.text("不同意")
    assert "没有保存" in reply and "12333" in reply
    assert ledger.get_draft(talk.sender) is None and ledger.find(talk.sender) is None


def test_correcting_an_earlier_answer(talk: Conversation, ledger: Ledger) -> None:
    start(talk)
    for answer in ANSWERS[:5]:
        talk.text(answer)
    assert "手机号" in talk.text("手机号填错了")
    assert "学历" in talk.text("13812345678")
    for answer in ANSWERS[5:]:
        talk.text(answer)
    summary = talk.text("学校写错了，应该是首都师范大学")
    assert "首都师范大学" in summary
    talk.text("确认提交")
    found = ledger.find(talk.sender)
    assert found is not None and found.registration.phone == "13812345678" and found.registration.school == "首都师范大学"


def test_resume_a_half_finished_registration_later(talk: Conversation) -> None:
    start(talk)
    for answer in ANSWERS[:5]:
        talk.text(answer)
    talk.say("/restart")  # a new conversation, as after a long pause
    offer = talk.text("继续登记")
    assert "还没完成" in offer
    assert "学历" in talk.text("继续")


def test_action_server_restart_mid_form_loses_nothing(talk: Conversation, ledger_stack: Tuple[Stack, str], ledger: Ledger) -> None:
    stack, _ = ledger_stack
    start(talk)
    for answer in ANSWERS[:4]:
        talk.text(answer)
    stack.restart_actions()
    assert "学历" in talk.text("会计学")
    for answer in ANSWERS[5:]:
        last = talk.text(answer)
    assert "王芳" in last and "139****5678" in last and "北京工业大学" in last


def test_see_change_and_delete_my_registration(talk: Conversation, ledger: Ledger, ledger_stack: Tuple[Stack, str]) -> None:
    register(talk)
    talk.text("确认提交")
    ref = ledger.find(talk.sender).ref  # type: ignore[union-attr]
    view = talk.say("/view_registration")
    shown = "\n".join(m.get("text", "") for m in view)
    assert ref in shown and "139****5678" in shown and PHONE not in shown
    assert {"修改登记", "删除登记"} <= set(talk.buttons(view))

    assert "要修改哪一项" in talk.text("/update_registration")
    talk.text("改手机号")
    summary = talk.text("13600002222")
    assert "136****2222" in summary
    assert ref in talk.text("确认提交")
    assert ledger.find(talk.sender).registration.phone == "13600002222"  # type: ignore[union-attr]
    assert ledger.counts()["registrations"] >= 1

    assert "确定删除" in talk.text("/delete_registration")
    assert "已删除" in talk.text("确认删除")
    assert ledger.find(talk.sender) is None
    assert "还没有" in talk.text("/view_registration")
    _, url = ledger_stack
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT identity, name_enc, phone_enc, district, deleted_at FROM registrations WHERE ref = :r"), {"r": ref}).one()
    engine.dispose()
    assert row.identity is None and row.name_enc is None and row.phone_enc is None
    assert row.district == "海淀区" and row.deleted_at is not None


def test_nobody_sees_or_takes_over_another_persons_registration(talk: Conversation, ledger_stack: Tuple[Stack, str], ledger: Ledger) -> None:
    register(talk)
    talk.text("确认提交")
    stack, _ = ledger_stack
    other = Conversation(stack, talk.sender + "-other")
    try:
        assert "还没有" in other.text("/view_registration")
        start(other)
        other.text("王芳")
        other.text(PHONE)
        for answer in ANSWERS[2:]:
            other.text(answer)
        refused = other.text("确认提交")
        assert "另一个账号" in refused and "139" not in refused
        assert ledger.find(other.sender) is None
    finally:
        other.http.close()


def test_registering_again_updates_instead_of_duplicating(talk: Conversation, ledger: Ledger) -> None:
    register(talk)
    talk.text("确认提交")
    ref = ledger.find(talk.sender).ref  # type: ignore[union-attr]
    again = talk.text("我要登记")
    assert "已经登记过" in again and ref in again
    talk.text("改学历")
    talk.text("硕士")
    assert ref in talk.text("确认提交")
    assert ledger.find(talk.sender).registration.degree == "硕士"  # type: ignore[union-attr]
    assert sum(1 for row in ledger.rows() if row.ref == ref) == 1


def test_raw_database_holds_no_phone_number_in_plain_text(talk: Conversation, ledger_stack: Tuple[Stack, str]) -> None:
    register(talk)
    talk.text("确认提交")
    _, url = ledger_stack
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        dump = "\n".join(repr(tuple(r)) for table in ("registrations", "drafts", "audit_log", "follow_ups")
                         for r in conn.execute(text(f"SELECT * FROM {table}")))
    engine.dispose()
    assert talk.sender in dump
    assert PHONE not in dump and "1391234" not in dump and "王芳" not in dump


def test_a_client_cannot_forge_the_sealed_text(talk: Conversation) -> None:
    response = talk.http.post("/webhooks/rest/webhook", json={
        "sender": talk.sender, "message": "我要登记", "metadata": {"sealed_text": "gAAAAA-forged"}})
    assert response.status_code == 200 and "同意" in json.dumps(response.json(), ensure_ascii=False)
    tracker = talk.http.get(f"/conversations/{talk.sender}/tracker").json()
    assert "gAAAAA-forged" not in json.dumps(tracker)



def test_two_submissions_racing_for_one_person_leave_one_record(talk: Conversation, ledger_stack: Tuple[Stack, str], ledger: Ledger) -> None:
    stack, _ = ledger_stack
    other = Conversation(stack, talk.sender + "-twin")
    phone = "13566667777"
    try:
        for conversation in (talk, other):
            start(conversation)
            conversation.text("赵敏")
            conversation.text(phone)
            for answer in ANSWERS[2:]:
                conversation.text(answer)
        with ThreadPoolExecutor(max_workers=2) as pool:
            replies = list(pool.map(lambda c: c.text("确认提交"), (talk, other)))
        assert sum("登记成功" in reply for reply in replies) == 1
        assert sum("另一个账号" in reply for reply in replies) == 1
        owners = [c.sender for c in (talk, other) if ledger.find(c.sender) is not None]
        assert len(owners) == 1
    finally:
        ledger.delete(other.sender)
        other.http.close()


def test_a_graduate_on_the_handed_over_list_is_told_the_list_entry_stays(
    talk: Conversation, ledger: Ledger, ledger_stack: Tuple[Stack, str], tmp_path: Path
) -> None:
    """Registered in chat with the phone of an imported list entry: joined to it; deleting erases
    what they gave in chat and says plainly that the list entry stays with the district."""
    from ledger.importer import import_file

    phone = "13911112222"  # its own number: the list entry stays after the test, and is removed below
    listed = tmp_path / "名单.csv"
    listed.write_text(f"姓名,手机号,学校,户籍区\n王芳,{phone},北京工业大学,海淀区\n", encoding="utf-8")
    import_file(ledger, listed, staff="tester")
    try:
        register(talk, [phone if answer == PHONE else answer for answer in ANSWERS])
        talk.text("确认提交")
        assert ledger.find(talk.sender).on_list  # type: ignore[union-attr]
        confirm = talk.text("/delete_registration")
        assert "名单" in confirm and "依规保存" in confirm
        done = talk.text("确认删除")
        assert "已删除" in done and "你在对话中登记的信息已清除" in done and "名单里的信息由区人社部门依规保存" in done
        assert ledger.find(talk.sender) is None
    finally:
        engine = create_engine(ledger_stack[1], future=True)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM registrations WHERE source = 'import' AND identity IS NULL"))
        engine.dispose()
