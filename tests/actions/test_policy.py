from __future__ import annotations

from actions.policy import ActionAnswerPolicy, ActionListMeasures
from tests.actions.conftest import make_tracker, run


def test_named_policy_answers_every_part_with_its_source() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("见习补贴怎么申请", "ask_policy", [("policy", "见习补贴")]))
    text = result.text
    assert text.startswith("【见习补贴】")
    for part in ("发给谁：见习单位", "谁能享受：", "能得到什么：", "标准/金额：暂无可核实的信息", "怎么申请：", "去哪办：", "截止时间：该政策延续至2022年底"):
        assert part in text
    assert "来源：通知 五（五）；通知 五（三）" in text
    assert result.slot("answer_ref") == "policy:traineeship_subsidy"
    assert [b["title"] for b in result.buttons] == ["我能享受吗", "去哪里办", "其他政策"]


def test_synonym_typo_and_traditional_characters_reach_the_same_entry() -> None:
    for text in ("扩岗补贴能拿多少", "一次擴崗補助能拿多少", "一次性擴崗補助"):
        result = run(ActionAnswerPolicy(), make_tracker(text, "ask_policy"))
        assert result.slot("answer_ref") == "policy:expansion_subsidy", text
        assert "最高1500元" in result.text and "北京的具体标准未核实" in result.text


def test_measure_answer_lists_its_points() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("打包办是啥", "ask_policy", [("policy", "打包办")]))
    assert "【五（六） 实施就业创业服务事项“打包办”行动】" in result.text
    assert "http://fuwu.rsj.beijing.gov.cn/bjdkhy/bysjycy/" in result.text
    assert result.slot("answer_ref") == "measure:m6"


def test_measure_answered_by_a_policy_gives_the_policy() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("就业见习提升行动讲了什么", "ask_policy"))
    assert result.slot("answer_ref") == "policy:traineeship"


def test_no_policy_named_gives_the_short_list_with_choices() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("有啥补贴", "ask_policy"))
    assert result.slot("answer_ref") == "policies:list"
    assert len(result.buttons) == 11 and result.buttons[0]["payload"] == '/ask_policy{"policy": "社保补贴"}'
    assert result.slot("last_choices") == [b["payload"] for b in result.buttons]
    assert "1. 社保补贴" in result.text


def test_ten_measures_list() -> None:
    result = run(ActionListMeasures(), make_tracker("通知有哪些措施", "list_measures"))
    assert result.slot("answer_ref") == "measures:list"
    assert len(result.buttons) == 10 and "10. 五（十） 典型宣传" in result.text


def test_one_wrong_character_in_a_long_name_still_finds_it() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("扩刚补助每个人给多少", "ask_policy"))
    assert result.slot("answer_ref") == "policy:expansion_subsidy"


def test_generic_words_do_not_hijack_the_policy_list() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("就业创业政策服务清单发我看看", "ask_policy"))
    assert result.slot("answer_ref") == "policies:list"


def test_a_measure_named_by_its_section() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("五(六)那条讲的啥", "ask_policy"))
    assert result.slot("answer_ref") == "measure:m6"
