from __future__ import annotations

from actions.eligibility import ActionCheckEligibility
from tests.actions.conftest import make_tracker, run


def check(text: str, entities=(), slots=None):
    return run(ActionCheckEligibility(), make_tracker(text, "check_eligibility", entities, slots))


def test_age_decides_traineeship_and_names_the_rule() -> None:
    result = check("我22岁失业能参加见习吗", [("age", "22岁"), ("policy", "就业见习")])
    assert "✅ 你符合条件。依据「16-24岁失业青年」：你22岁，在16-24岁范围内" in result.text
    assert "来源：通知 五（五）" in result.text
    assert result.slot("answer_ref") == "eligibility:traineeship" and result.slot("age") == "22岁"


def test_cohort_follows_the_policy_just_discussed() -> None:
    result = check("2021届还能享受吗", [("grad_year", "2021届")], {"answer_ref": "policy:traineeship_subsidy"})
    assert "关于「见习补贴」" in result.text
    assert "依据「毕业2年内未就业的高校、中专、技校毕业生」：你2021年毕业，到2022年在毕业2年内" in result.text


def test_campaign_targets_without_a_policy_and_the_wider_traineeship() -> None:
    result = check("2021届还能享受吗", [("grad_year", "2021届")])
    assert "关于「本次攻坚行动的服务对象」" in result.text
    assert "你是2021届，不是2022届" in result.text and "还需要知道你的年龄" in result.text
    assert "「就业见习」的范围更宽" in result.text
    assert result.slot("pending") == "action_check_eligibility"


def test_not_eligible_lists_every_rule_and_where_else_to_ask() -> None:
    result = check("我28岁 2019年毕业 能参加见习吗", [("policy", "见习")])
    assert "❌" in result.text
    assert "你2019年毕业，到2022年已超过毕业2年" in result.text and "你28岁，不在16-24岁范围内" in result.text
    assert "12333" in result.text


def test_chinese_numerals_and_facts_in_plain_text() -> None:
    result = check("我二十三岁，能参加见习不")
    assert "你23岁" in result.text


def test_missing_facts_are_asked_for() -> None:
    result = check("我能参加见习吗", [("policy", "见习")])
    assert "还需要知道你的毕业年份（哪一届）或年龄" in result.text
    assert result.slot("pending") == "action_check_eligibility"


def test_facts_given_earlier_are_remembered() -> None:
    result = check("那见习呢", [("policy", "见习")], {"age": "20岁"})
    assert "你20岁，在16-24岁范围内" in result.text


def test_policy_without_checkable_rules_says_who_qualifies() -> None:
    result = check("困难家庭的我能享受吗", [("policy", "困难家庭")])
    assert result.text.startswith("【困难家庭毕业生帮扶·谁能享受】本市困难家庭高校毕业生")
    assert "属于本市困难家庭" in result.text


def test_a_question_about_the_employer_inside_a_policy_gets_the_clause_not_a_check_of_the_asker() -> None:
    result = check("我在见习，还没满期单位跟我签了合同，单位还能拿见习补贴吗")
    assert "剩余期限见习补贴" in result.text and "关于「" not in result.text


def test_an_emoji_after_the_question_still_makes_it_a_check_of_the_asker() -> None:
    result = check("我19岁，失业了，见习能参加吗 🙏", [("policy", "就业见习")])
    assert "16-24岁" in result.text and "19岁" in result.text


def test_an_elliptical_situation_gets_its_help() -> None:
    result = check("那我想创业呢")
    assert "创业培训" in result.text and result.slot("answer_ref") == "situation:wants_startup"


def test_the_askers_year_and_age_are_read_as_people_say_them() -> None:
    from actions.facts import parse_age, parse_grad_year

    assert parse_grad_year(["我21年7月毕业的 一直没工作"], 2022) == 2021
    assert parse_grad_year(["研究生毕业一年多了"], 2022) == 2021
    assert parse_grad_year(["前年毕的"], 2022) == 2020
    # “今年” is a graduation year only with 毕业 next to it, not “今年32了 … 针对毕业生”
    text = "我今年32了，在街道做过失业登记，看新闻说这次行动针对毕业生"
    assert parse_grad_year([text], 2022) is None and parse_age([text]) == 32


def test_an_age_bound_in_the_question_is_not_the_askers_age() -> None:
    from actions.facts import parse_age

    assert parse_age(["35岁以下失业的也算吗"]) is None
    assert parse_age(["我25岁，35岁以下的都算吗"]) == 25
    result = run(ActionCheckEligibility(), make_tracker("35岁以下失业的也算吗", "check_eligibility", [("age", "35岁")]))
    assert "你35岁" not in result.text


def test_an_a_not_a_question_of_ones_own_case_is_the_check_not_a_situations_help() -> None:
    from actions.answer import understand
    from actions.knowledge import kb

    plan = understand(kb(), make_tracker("我今年36了 去年被裁了 算不算这个行动的对象", "check_eligibility", [("age", "36")], confidence=1.0),
                      "action_check_eligibility")
    assert plan is not None and plan.kind == "eligibility"
    result = run(ActionCheckEligibility(), make_tracker("我今年36了 去年被裁了 算不算这个行动的对象", "check_eligibility", [("age", "36")]))
    assert "36岁" in result.text and "35" in result.text


def test_asking_whether_one_is_within_the_service_range_is_the_check() -> None:
    result = check("我今年36岁，失业了，在你们服务范围里吗", [("age", "36岁")])
    assert "不在35岁以下范围内" in result.text and result.slot("answer_ref") == "eligibility:campaign"


def test_a_parent_asking_whether_they_may_ask_for_their_child_is_told_yes_and_how_registration_goes() -> None:
    result = check("我是家长，孩子2022年毕业一直在家，我能替他问吗", [("grad_year", "2022年毕业")])
    assert result.text.startswith("【家长能替孩子咨询、登记吗】可以替孩子问") and "本人同意" in result.text


def test_a_group_named_by_a_rules_age_bound_is_that_rules() -> None:
    result = check("35岁以下失业的也算吗", [("age", "35岁")])
    assert result.text.startswith("算，35岁以下的属于「35岁以下登记失业青年」这一条。")


def test_a_hardship_family_named_in_a_long_story_is_the_help_given_not_any_young_persons() -> None:
    result = check("孩子去年从北京的大学毕业，一直没找到工作，今年已经23岁了，家里条件也不好，低保户，请问有什么帮扶政策？", [("age", "23岁")])
    assert "一人一档" in result.text and "3-5个就业机会" in result.text


def test_an_employer_asking_what_it_takes_to_host_trainees_gets_the_hosts_not_the_trainees() -> None:
    result = check("我是一家民营企业的人事，我们想设一批见习岗位，需要什么条件", [("notice_kind", "就业见习")])
    assert "社会组织" in result.text and "16-24岁" not in result.text


def test_facts_stated_after_who_may_join_are_checked() -> None:
    earlier = [{"event": "user", "text": "要什么条件", "parse_data": {"intent": {"name": "ask_policy"}}},
               {"event": "action", "name": "action_answer_policy"}, {"event": "slot", "name": "answer_ref", "value": "policy:traineeship"}]
    from actions.fallback import ActionClarify

    result = run(ActionClarify(), make_tracker("我24岁 2021年毕业的", "nlu_fallback", [("age", "24岁"), ("grad_year", "2021年毕业")],
                                               {"answer_ref": "policy:traineeship"}, events=earlier, confidence=0.45))
    assert "关于「就业见习」：✅ 你符合条件" in result.text


def test_an_employer_that_paid_insurance_is_no_fraud_victim() -> None:
    result = check("我们是一家餐饮连锁企业，今年招了5个2022届的大学生，都签了合同交了社保，听说有补贴，怎么申请，去哪申请？", [("grad_year", "2022届")])
    assert "报警" not in result.text and "一次性扩岗补助" in result.text
