from __future__ import annotations

from actions.policy import ActionAnswerPolicy, ActionListMeasures
from tests.actions.conftest import make_tracker, run


def test_named_policy_is_answered_briefly_with_more_a_button_away() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("见习补贴", "ask_policy", [("policy", "见习补贴")]))
    text = result.text
    assert text.startswith("【见习补贴】见习期未满")
    assert "标准：据北京2019年见习办法" in text and "2200元" in text
    assert "来源：通知 五（五）、五（三）；北京2019年见习办法" in text
    assert "暂无可核实的信息" not in text and len(result.messages[0]["text"].splitlines()) <= 4
    assert result.slot("answer_ref") == "policy:traineeship_subsidy"
    assert [b["title"] for b in result.buttons] == ["谁能享受", "怎么申请", "去哪办", "截止时间"]
    assert result.buttons[1]["payload"] == "见习补贴怎么申请"


def test_the_field_asked_is_answered_not_the_whole_card() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("见习补贴怎么申请", "ask_policy", [("policy", "见习补贴")]))
    assert result.text.startswith("【见习补贴·怎么申请】由见习单位向所在区人社局申请")
    assert "截止时间" not in result.text and "来源：" in result.text
    assert result.slot("answer_ref") == "policy:traineeship_subsidy"
    assert "怎么申请" not in [b["title"] for b in result.buttons]


def test_a_missing_fact_is_said_once_with_where_to_ask() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("社保补贴标准是多少", "ask_policy", [("policy", "社保补贴")]))
    assert "补贴标准未核实" in result.text and result.text.count("未核实") == 1 and "12333" in result.text


def test_synonym_typo_and_traditional_characters_reach_the_same_entry() -> None:
    for text in ("扩岗补贴能拿多少", "一次擴崗補助能拿多少", "一次性擴崗補助"):
        result = run(ActionAnswerPolicy(), make_tracker(text, "ask_policy"))
        assert result.slot("answer_ref") == "policy:expansion_subsidy", text
        assert "1500元" in result.text and "以官方文件为准" in result.text


def test_measure_answer_gives_its_summary_and_a_clause_is_reached_by_asking_it() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("打包办是啥", "ask_policy", [("policy", "打包办")]))
    assert result.text.startswith("【五（六） 实施就业创业服务事项“打包办”行动】优化“北京毕业生就业创业服务平台”")
    assert result.slot("answer_ref") == "measure:m6"
    clause = run(ActionAnswerPolicy(), make_tracker("打包办的那个平台网址是多少", "ask_policy", confidence=0.4))
    assert "http://fuwu.rsj.beijing.gov.cn/bjdkhy/bysjycy/" in clause.text


def test_measure_answered_by_a_policy_gives_the_policy() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("就业见习提升行动讲了什么", "ask_policy"))
    assert result.slot("answer_ref") == "policy:traineeship"


def test_no_policy_named_gives_the_short_list_with_choices() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("有啥补贴", "ask_policy"))
    assert result.slot("answer_ref") == "policies:list"
    assert len(result.buttons) == 13 and result.buttons[0]["payload"] == '/ask_policy{"policy": "社保补贴"}'
    assert result.slot("last_choices") == [b["payload"] for b in result.buttons]
    assert "政策清单共13项" in result.text and len(result.text.splitlines()) == 2


def test_ten_measures_list() -> None:
    result = run(ActionListMeasures(), make_tracker("通知有哪些措施", "list_measures"))
    assert result.slot("answer_ref") == "measures:list"
    assert len(result.buttons) == 10 and "10项主要措施" in result.text and result.buttons[9]["title"] == "典型宣传"


def test_one_wrong_character_in_a_long_name_still_finds_it() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("扩刚补助每个人给多少", "ask_policy"))
    assert result.slot("answer_ref") == "policy:expansion_subsidy"


def test_generic_words_do_not_hijack_the_policy_list() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("就业创业政策服务清单发我看看", "ask_policy"))
    assert result.slot("answer_ref") == "policies:list"


def test_a_measure_named_by_its_section() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("五(六)那条讲的啥", "ask_policy"))
    assert result.slot("answer_ref") == "measure:m6"


def test_whether_something_counts_is_answered_yes_first_when_the_field_names_it() -> None:
    from actions.answer import counted_in, facet_units
    from actions.knowledge import kb

    knowledge = kb()
    hardship = knowledge.topic("困难家庭毕业生帮扶")
    assert hardship is not None
    who = facet_units(knowledge, hardship, ["who"], "")
    assert counted_in("零就业家庭算不算困难家庭", hardship, who) == "算。"
    assert counted_in("单亲家庭算困难家庭吗", hardship, who) == ""  # not named: no yes


def test_a_field_the_question_speaks_of_beats_the_field_its_cue_word_names() -> None:
    # “多久” cues an amount, but the conditions say how long the unemployment insurance must be paid
    result = run(ActionAnswerPolicy(), make_tracker("扩岗补助要给员工交多久的失业保险才行", "ask_policy", [("policy", "一次性扩岗补助")]))
    assert "失业保险1个月以上" in result.text and "1500元" not in result.text
    result = run(ActionAnswerPolicy(), make_tracker("见习期还没满 单位就跟我签了劳动合同 那剩下那几个月的见习补贴还有吗", "ask_policy",
                                                    [("policy", "见习期"), ("policy", "见习补贴")]))
    assert "剩余期限" in result.text and "见习单位" in result.text
    # a cue with nothing more said still gets its field
    result = run(ActionAnswerPolicy(), make_tracker("扩岗补助多少钱", "ask_policy", [("policy", "一次性扩岗补助")]))
    assert "1500元" in result.text


def test_what_kind_of_company_is_who_qualifies() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("一次性吸纳就业补贴是给什么样的企业的", "ask_policy", [("policy", "一次性吸纳就业补贴")]))
    assert "谁能享受" in result.text and "小微企业" in result.text


def test_english_questions_get_the_field_they_ask_of_the_entry_that_has_it() -> None:
    cases = {
        "I'm in HR at a small company. Do we have to apply for the job expansion subsidy, or is it paid automatically?": "without an application",
        "I graduated in 2021 and still don't have a job. Can I still join a traineeship?": "within 2 years",
        "If an intern signs a labour contract before the traineeship ends, who gets the remaining traineeship subsidy?": "remaining period",
        "Who can join a traineeship (就业见习)?": "within 2 years",
    }
    for text, said in cases.items():
        result = run(ActionAnswerPolicy(), make_tracker(text, "out_of_scope"))
        assert said in result.text, (text, result.text)


def test_an_english_question_keeps_its_first_hit_unless_it_names_another_entry_with_the_field() -> None:
    # “who is eligible” of the campaign is not another policy's conditions; “what help can I get” asks no conditions
    result = run(ActionAnswerPolicy(), make_tracker("Who is eligible for Beijing's 2022 campaign for unemployed college graduates?", "out_of_scope"))
    assert "employers" not in result.text.split("\n")[0]
    result = run(ActionAnswerPolicy(), make_tracker("My family is on dibao (minimum living allowance). What extra help can I get after graduating?", "out_of_scope"))
    assert "3–5" in result.text or "3-5" in result.text


def test_an_english_question_for_an_offices_address_or_phone_is_told_they_are_not_verified() -> None:
    for text in ("What's the phone number of the Haidian district public employment service centre?",
                 "What is the address of the Chaoyang employment service centre?"):
        result = run(ActionAnswerPolicy(), make_tracker(text, "out_of_scope"))
        assert "not verified" in result.text and "12333" in result.text and "Source:" in result.text, text
    # a question about a programme is no office's contact
    result = run(ActionAnswerPolicy(), make_tracker("What is the traineeship programme?", "out_of_scope"))
    assert "not verified" not in result.text


def test_where_to_apply_for_a_subsidy_paid_without_applying_says_so_first() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("扩岗补助要去哪申请", "ask_policy", [("policy", "一次性扩岗补助")]))
    assert "免申即享" in result.text and result.text.index("免申即享") < result.text.index("所在区人社局")
    asked = run(ActionAnswerPolicy(), make_tracker("我们公司要去申请扩岗补助吗？还是会自动打到对公账户？", "ask_policy", confidence=0.9))
    assert "免申即享" in asked.text


def test_a_deadline_asked_after_a_long_story_gets_the_deadline() -> None:
    text = ("我们是一家做软件外包的小微企业，6月份招了一个2022届本科生，签了两年劳动合同，社保都正常交。"
            "听说有个一次性吸纳就业补贴，这个政策到什么时候截止？")
    result = run(ActionAnswerPolicy(), make_tracker(text, "ask_policy", confidence=0.9))
    assert "截止" in result.text.split("\n")[0] or "年底" in result.text or "12月31日" in result.text, result.text


def test_whom_a_subsidy_is_for_gives_who_gets_it_and_on_what_terms() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("一次性吸纳就业补贴是给谁的", "ask_policy", [("policy", "一次性吸纳就业补贴")]))
    assert "小微企业" in result.text and "1年" in result.text


def test_whether_two_policies_combine_is_the_rule_that_says_so_or_said_to_be_unknown() -> None:
    ruled = run(ActionAnswerPolicy(), make_tracker("扩岗补助跟一次性吸纳就业补贴能一块儿拿吗", "ask_policy", confidence=0.9))
    assert "不重复" in ruled.text or "不能" in ruled.text, ruled.text
    unknown = run(ActionAnswerPolicy(), make_tracker("见习补贴和社保补贴能一起拿吗", "ask_policy", confidence=0.9))
    assert "未核实" in unknown.text and "见习补贴和社保补贴" in unknown.text and "12333" in unknown.text


def test_an_english_yes_no_question_about_the_asker_is_answered_yes_or_no_first_when_what_they_say_decides_it() -> None:
    yes = run(ActionAnswerPolicy(), make_tracker("Can I join a traineeship if I graduated 18 months ago?", "out_of_scope"))
    assert yes.text.startswith("Yes") and "2 years" in yes.text
    no = run(ActionAnswerPolicy(), make_tracker("I graduated in 2018 and I am 27, can I still join a traineeship?", "out_of_scope"))
    assert no.text.startswith("By what you say, no") and "2 years" in no.text
    # nothing said that decides it, or no yes/no asked: the answer alone
    unsaid = run(ActionAnswerPolicy(), make_tracker("Can I join a traineeship?", "out_of_scope"))
    assert not unsaid.text.startswith(("Yes", "By what you say")) and "Traineeship" in unsaid.text
    what = run(ActionAnswerPolicy(), make_tracker("What can I do if I graduated in 2018 and want a traineeship?", "out_of_scope"))
    assert not what.text.startswith(("Yes", "By what you say"))


def test_the_phone_of_a_subsidy_paid_without_applying_is_the_phone_not_the_no_application_rule() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("扩岗补助电话多少", "ask_policy", [("policy", "一次性扩岗补助")]))
    assert "12333" in result.text and "免申即享" not in result.text


def test_someone_elses_wish_to_join_a_programme_gets_who_may_join_and_how() -> None:
    for text in ("他想先去见习 可以吗", "他说想先见习"):
        result = run(ActionAnswerPolicy(), make_tracker(text, "ask_policy", [("policy", "就业见习")], confidence=0.9))
        assert "2年" in result.text and "16" in result.text, text


def test_when_the_campaign_runs_asked_in_english_is_its_period() -> None:
    result = run(ActionAnswerPolicy(), make_tracker(
        "When does Beijing's 2022 campaign for graduates who left school without a job run?", "out_of_scope"))
    assert "July" in result.text and "December" in result.text
    subsidy = run(ActionAnswerPolicy(), make_tracker("When does the traineeship subsidy policy end?", "out_of_scope"))
    assert "end of 2022" in subsidy.text


def test_where_asked_with_a_district_named_names_that_districts_bureau() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("石景山的，想问问困难家庭帮扶找谁", "ask_policy",
                                                    [("district", "石景山区"), ("policy", "困难家庭毕业生帮扶")]))
    assert "石景山区人社局" in result.text and "所在区人社局" not in result.text


def test_where_asked_of_a_measure_with_a_district_gives_that_districts_offices() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("西城 就业帮扶 找哪", "ask_policy", [("district", "西城区"), ("policy", "就业帮扶行动")]))
    assert result.slot("answer_ref") == "institution:西城区:all" and "西城区公共就业服务机构" in result.text


def test_who_may_join_a_programme_is_who_qualifies_and_public_welfare_jobs_have_their_own_answer() -> None:
    join = run(ActionAnswerPolicy(), make_tracker("谁可以参加就业见习", "ask_policy", [("policy", "就业见习")]))
    assert "2年内" in join.text and "16-24岁" in join.text
    jobs = run(ActionAnswerPolicy(), make_tracker("公益性岗位 谁能上", "ask_policy", [("policy", "困难家庭毕业生帮扶")]))
    assert "市场渠道确实难以就业" in jobs.text and "个人意愿" in jobs.text


def test_whether_a_subsidy_is_paid_to_me_is_who_is_paid() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("见习期没满签了合同，那剩余期限的见习补贴是发给我个人吗", "ask_policy",
                                                    [("policy", "见习期"), ("policy", "见习补贴")]))
    assert result.text.startswith("【见习补贴·发给谁】") and "不直接发给个人" in result.text


def test_english_who_the_campaign_serves_a_hardship_familys_help_and_the_hotlines_person() -> None:
    who = run(ActionAnswerPolicy(), make_tracker("Who qualifies for the campaign?", "out_of_scope"))
    assert "2022 university graduates" in who.text and "under 35" in who.text
    hardship = run(ActionAnswerPolicy(), make_tracker("I'm from a low-income family and still have no job. What help is there?", "out_of_scope"))
    assert "3–5 job opportunities" in hardship.text and "I'm the Beijing employment-service assistant" not in hardship.text
    general = run(ActionAnswerPolicy(), make_tracker("What can you do for me?", "out_of_scope"))
    assert general.text.startswith("I'm the Beijing employment-service assistant")
    hotline = run(ActionAnswerPolicy(), make_tracker("How do I reach a real person on 12333?", "out_of_scope"))
    assert "press 1" in hotline.text and "passing you to the bureau's staff" not in hotline.text


def test_a_yes_no_question_stating_counts_the_answer_bears_out_gets_yes_first() -> None:
    yes = run(ActionAnswerPolicy(), make_tracker("有就业意愿的是不是至少能有3次岗位推介", "faq", confidence=1.0))
    assert yes.text.startswith("是的。") and "3次岗位推介" in yes.text
    other = run(ActionAnswerPolicy(), make_tracker("是不是至少有5次岗位推介", "faq", confidence=1.0))
    assert not other.text.startswith("是的")
    reported = run(ActionAnswerPolicy(), make_tracker("见习补贴是每月2200元吗", "ask_policy", [("policy", "见习补贴")]))
    assert not reported.text.startswith("是的") and "2200元" in reported.text  # a 2019 figure is no yes for today
    over = run(ActionAnswerPolicy(), make_tracker("👀过了35岁是不是就没人管了", "faq", confidence=0.5))
    assert over.text.startswith("【过了35岁还算这次行动的服务对象吗】") and "2022届" in over.text  # an age stated is no count confirmed


def test_a_year_after_the_sources_is_said_to_be_unknown() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("见习补贴政策2023年还延续吗", "ask_policy", [("policy", "见习补贴")]))
    assert "2022年底" in result.text and "2023年及以后的安排目前没有可核实的信息（未核实）" in result.text


def test_where_to_apply_as_a_follow_up_of_a_subsidy_paid_unasked_says_so_first() -> None:
    earlier = [{"event": "user", "text": "扩岗那个多少钱", "parse_data": {"intent": {"name": "ask_policy"}}}]
    result = run(ActionAnswerPolicy(), make_tracker("要去哪申请", "ask_policy", slots={"answer_ref": "policy:expansion_subsidy"}, events=earlier))
    assert "免申即享" in result.text and result.text.index("免申即享") < result.text.index("去哪办")


def test_what_a_notices_phrase_means_and_how_school_leavers_are_followed_up() -> None:
    phrase = run(ActionAnswerPolicy(), make_tracker("通知里说的“直补快办”是什么意思", "ask_policy", [("policy", "落细政策促就业")]))
    assert "直接补贴到位、快速办理" in phrase.text and "未核实" in phrase.text
    school = run(ActionAnswerPolicy(), make_tracker("我是学校就业办的老师，我们学校还有不少学生没落实去向，离校后人社局会怎么跟进？", "faq", confidence=1.0))
    assert "市教委" in school.text and "实名台账" in school.text


def test_wanting_a_traineeship_post_in_a_district_is_how_to_find_one_there() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("我在丰台，想找个见习岗位", "ask_policy", [("district", "丰台区"), ("notice_kind", "就业见习")]))
    assert result.text.startswith("【就业见习·怎么申请】向丰台区人社局报名")


def test_an_english_follow_up_for_a_field_kept_in_chinese_gives_that_field_said_so() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("Until when?", "nlu_fallback", slots={"answer_ref": "english:policy:hiring_subsidy#what"},
                                                    confidence=0.45))
    assert result.text.startswith("(This answer is only available in Chinese.)") and "2022年12月31日" in result.text
    # (a field kept in English too is said in English)
    english = run(ActionAnswerPolicy(), make_tracker("Until when?", "nlu_fallback", slots={"answer_ref": "english:policy:expansion_subsidy#who"},
                                                     confidence=0.45))
    assert english.text.startswith("The one-time job-expansion subsidy") and "December 2022" in english.text


def test_an_english_question_of_its_own_after_an_answer_is_answered_on_its_own() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("Where can I find jobs online?", "nlu_fallback", slots={"answer_ref": "policy:traineeship"},
                                                    confidence=0.45))
    assert "only available in Chinese" not in result.text and "fuwu.rsj.beijing.gov.cn" in result.text


def test_other_subsidies_asked_after_an_employers_subsidy_are_the_employers_subsidies() -> None:
    earlier = [{"event": "user", "text": "我们招的是2021届的，行吗", "parse_data": {"intent": {"name": "check_eligibility"}}},
               {"event": "action", "name": "action_check_eligibility"}, {"event": "slot", "name": "answer_ref", "value": "eligibility:expansion_subsidy"}]
    result = run(ActionAnswerPolicy(), make_tracker("那有别的补贴吗", "ask_policy", slots={"answer_ref": "eligibility:expansion_subsidy"}, events=earlier))
    assert result.slot("answer_ref") == "situation:employer_hiring" and "一次性吸纳就业补贴" in result.text


def test_two_entries_compared_are_both_answered_and_said_to_differ() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("求职创业补贴跟一次性创业补贴是一回事吗？", "ask_policy"))
    assert result.text.startswith("求职创业补贴和") and "不是同一项" in result.text
    assert "【求职创业补贴】" in result.text and "1000元" in result.text
    money = run(ActionAnswerPolicy(), make_tracker("一次性扩岗补助和社保补贴有什么区别？哪个钱多？", "ask_policy"))
    assert "1500元" in money.text and "补贴标准未核实" in money.text


def test_one_field_asked_of_two_entries_is_answered_for_each() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("见习补贴和扩岗补助，钱都是发给单位的吗？", "ask_policy"))
    assert "【见习补贴·发给谁】" in result.text and "【一次性扩岗补助·发给谁】" in result.text
    assert "不是同一项" not in result.text


def test_the_question_after_a_story_is_what_is_answered() -> None:
    story = "我是社区工作人员。区人社局是通过什么办法摸清辖区离校未就业毕业生情况的？要摸清哪些信息？"
    result = run(ActionAnswerPolicy(), make_tracker(story, "nlu_fallback", confidence=0.45))
    assert "摸清" in result.text and "公共部门岗位招聘" not in result.text


def test_the_subsidy_asked_after_a_programmes_check_is_the_programmes() -> None:
    earlier = [{"event": "user", "text": "我26了行吗", "parse_data": {"intent": {"name": "check_eligibility"}}},
               {"event": "action", "name": "action_check_eligibility"},
               {"event": "slot", "name": "answer_ref", "value": "eligibility:traineeship"}]
    result = run(ActionAnswerPolicy(), make_tracker("补贴多少", "ask_policy", events=earlier,
                                                    slots={"answer_ref": "eligibility:traineeship", "pending": "action_check_eligibility"}))
    assert result.text.startswith("【见习补贴·标准/金额】") and "社保补贴" not in result.text


def test_cash_asked_for_without_a_name_is_the_graduates_own_subsidies() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("有没有现金补贴？", "ask_policy"))
    assert "1000元" in result.text and "政策清单" not in result.text


def test_reaching_a_person_there_right_after_the_hotline_is_about_the_hotline() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("How do I reach a human there?", "request_human",
                                                    slots={"answer_ref": "english:route:hotline_12333"}))
    assert "press 1 and then 0" in result.text and "passing you to the bureau's staff" not in result.text


def test_the_campaign_asked_about_as_a_whole_gets_who_issued_it_when_it_runs_and_whom_it_serves() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("北京2022年那个离校未就业攻坚行动是啥", "nlu_fallback", confidence=0.45))
    assert "2022年7月19日" in result.text and "2022年7月—12月" in result.text and "35岁以下登记失业青年" in result.text
    assert "人数" not in result.text  # not the headcount the words “离校未就业” pulled before
    # something inside it asked is that thing
    inside = run(ActionAnswerPolicy(), make_tracker("攻坚行动以什么为支撑", "nlu_fallback", confidence=0.45))
    assert "实名服务" in inside.text and "2022年7月19日" not in inside.text


def test_a_bare_until_with_no_entry_in_play_is_the_campaigns_time_not_the_list() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("到啥时候", "ask_policy", slots={"answer_ref": "detail:employer_subsidies"}))
    assert "2022年7月—12月" in result.text and "政策清单" not in result.text


def test_a_route_asked_where_is_the_routes_answer_even_with_a_measure_in_play() -> None:
    earlier = [{"event": "user", "text": "有哪些招聘活动", "parse_data": {"intent": {"name": "ask_policy"}}},
               {"event": "action", "name": "action_answer_policy"}, {"event": "slot", "name": "answer_ref", "value": "measure:m7"}]
    result = run(ActionAnswerPolicy(), make_tracker("就业超市在哪", "ask_help_routes", events=earlier, slots={"answer_ref": "measure:m7"}))
    assert result.text.startswith("【就业超市】") and "未核实" in result.text


def test_whether_one_must_apply_oneself_is_how_to_apply_not_a_check() -> None:
    earlier = [{"event": "user", "text": "扩岗补助多少钱", "parse_data": {"intent": {"name": "ask_policy"}}},
               {"event": "action", "name": "action_answer_policy"},
               {"event": "slot", "name": "answer_ref", "value": "policy:expansion_subsidy"}]
    result = run(ActionAnswerPolicy(), make_tracker("要我们自己申请不", "check_eligibility", events=earlier,
                                                    slots={"answer_ref": "policy:expansion_subsidy"}))
    assert "免申即享" in result.text and "你符合条件" not in result.text


def test_when_the_campaign_runs_asked_with_its_long_name_is_its_period() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("这个离校未就业攻坚行动搞到什么时候", "nlu_fallback", confidence=0.45))
    assert "2022年7月—12月" in result.text and "人数" not in result.text


def test_how_many_measures_is_the_notices_ten_unless_the_20_document_is_named() -> None:
    notice = run(ActionAnswerPolicy(), make_tracker("主要措施一共几项", "faq", confidence=0.9))
    assert "10项主要措施" in notice.text and "16条" not in notice.text
    document = run(ActionAnswerPolicy(), make_tracker("京政办发20号一共多少条措施", "list_measures", confidence=0.9))
    assert "16条" in document.text and "10项主要措施" not in document.text


def test_a_phone_number_asked_with_nothing_in_play_is_the_hotline() -> None:
    for text in ("咨询电话多少", "諮詢電話多少"):
        result = run(ActionAnswerPolicy(), make_tracker(text, "ask_institution", confidence=0.53))
        assert "12333" in result.text and "哪个区" not in result.text, text


def test_the_campaign_named_with_a_typo_is_still_the_campaign() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("毕业生就业攻艰行动是啥", "nlu_fallback", confidence=0.45))
    assert "2022年7月—12月" in result.text
