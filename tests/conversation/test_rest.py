"""Whole conversations through the real REST channel, the trained model and the action server."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import Conversation

pytestmark = pytest.mark.stack


def test_greeting_and_menu(conversation: Conversation) -> None:
    reply = conversation.say("你好呀")
    assert "就业服务助手" in reply[0]["text"] and reply[0]["buttons"]
    assert "我可以帮你" in conversation.text("你都能干啥")


def test_policy_question_then_eligibility_follow_up(conversation: Conversation) -> None:
    assert "【见习补贴·怎么申请】" in conversation.text("见习补贴怎么申请啊")
    assert conversation.slot("answer_ref") == "policy:traineeship_subsidy"
    asked = conversation.text("那我能享受吗")
    assert "关于「见习补贴」" in asked and "还需要知道" in asked
    decided = conversation.text("22岁")
    assert "✅ 你符合条件。依据「16-24岁失业青年」" in decided


def test_eligibility_from_the_askers_own_facts(conversation: Conversation) -> None:
    text = conversation.text("我22岁失业能参加见习吗")
    assert "关于「就业见习」" in text and "你22岁，在16-24岁范围内" in text
    assert conversation.slot("answer_ref") == "eligibility:traineeship"


def test_directory_asks_for_the_district_and_a_number_answers(conversation: Conversation) -> None:
    reply = conversation.say("档案放哪个机构")
    assert any(len(m.get("buttons") or []) == 17 for m in reply)
    text = conversation.text("3")
    assert "【朝阳区档案管理服务机构】" in text and "示例条目" in text
    assert conversation.slot("answer_ref") == "institution:朝阳区:档案管理服务机构"


def test_list_then_number_opens_the_entry(conversation: Conversation) -> None:
    assert "政策清单" in conversation.text("都有哪些补贴政策")
    assert "【一次性扩岗补助】" in conversation.text("4")


def test_traditional_characters_and_typos(conversation: Conversation) -> None:
    assert "【见习补贴·怎么申请】" in conversation.text("見習補貼怎麼申請")
    assert "【社保补贴·怎么申请】" in conversation.text("社宝补贴咋领")


def test_faq_from_the_knowledge_base(conversation: Conversation) -> None:
    text = conversation.text("这个攻坚行动到什么时候结束")
    assert "2022年7月—12月" in text and "来源：通知 三" in text


def test_out_of_scope_is_refused_politely_and_twice_offers_help(conversation: Conversation) -> None:
    first = conversation.say("明天北京天气怎么样")
    assert "帮不上忙" in first[0]["text"] and first[0]["buttons"]
    second = conversation.text("帮我写一篇800字作文")
    assert "12333" in second and "转人工" in second


def test_rights_complaint_gets_notice_route_and_hotline(conversation: Conversation) -> None:
    text = conversation.text("面试的公司说我是女生不要，这是就业歧视吧")
    assert "12333" in text and "通知 五（九）" in text


@pytest.mark.parametrize("message", ["", "   ", "😀😀😀", "<script>alert(1)</script>", "'; DROP TABLE users; --", "见" * 2000])
def test_odd_input_gets_an_answer_not_an_error(conversation: Conversation, message: str) -> None:
    reply = conversation.say(message)
    assert all("<script>" not in (m.get("text") or "") for m in reply)
    assert conversation.say("你好")[0]["text"]  # the conversation still works afterwards


def test_malformed_requests_get_4xx(conversation: Conversation) -> None:
    http = conversation.http
    assert http.post("/webhooks/rest/webhook", content=b"{not json", headers={"content-type": "application/json"}).status_code // 100 == 4
    assert http.post("/webhooks/rest/webhook", json={"message": "你好"}).status_code // 100 in (2, 4)
    assert http.post("/webhooks/rest/webhook", json={"sender": "x"}).status_code // 100 in (2, 4)


def test_edited_knowledge_base_changes_the_answer_without_retraining(conversation: Conversation, stack_kb_dir: Path) -> None:
    faq = stack_kb_dir / "faq.yml"
    original = faq.read_text(encoding="utf-8")
    try:
        faq.write_text(original.replace("行动主题是“助力攻坚 成‘就’未来”。", "行动主题是“助力攻坚 成‘就’未来”（已由工作人员更新）。"), encoding="utf-8")
        stat = faq.stat()
        os.utime(faq, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        assert "（已由工作人员更新）" in conversation.text("行动主题是啥")
    finally:
        faq.write_text(original, encoding="utf-8")


def test_no_invented_phone_numbers_in_directory_answers(conversation: Conversation) -> None:
    text = conversation.text("西城区就业服务中心电话多少")
    assert re.findall(r"\d{5,}", text) == ["12333"]
    assert "未核实" in text  # the sample entry says its contact data is not verified
