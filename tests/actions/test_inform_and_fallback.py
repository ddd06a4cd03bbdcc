from __future__ import annotations

from actions.fallback import ActionChitchat, ActionClarify, ActionHelp, ActionOutOfScope
from actions.eligibility import ActionCheckEligibility
from actions.policy import ActionAnswerPolicy
from actions.inform import ActionRouteInform
from tests.actions.conftest import make_tracker, run

POLICY_CHOICES = ['/ask_policy{"policy": "社保补贴"}', '/ask_policy{"policy": "就业见习"}', '/ask_policy{"policy": "见习补贴"}']


def test_a_number_picks_from_the_last_list() -> None:
    result = run(ActionRouteInform(), make_tracker("3", "inform", slots={"last_choices": POLICY_CHOICES}))
    assert result.slot("answer_ref") == "policy:traineeship_subsidy"
    assert result.slot("choice") is None


def test_a_number_out_of_range_is_not_guessed() -> None:
    result = run(ActionRouteInform(), make_tracker("9", "inform", slots={"last_choices": POLICY_CHOICES}))
    assert "换个说法" in result.text


def test_a_district_answers_the_pending_directory_question() -> None:
    slots = {"pending": "action_answer_institution", "institution_kind": "档案管理服务机构", "answer_ref": "institution:ask_district"}
    result = run(ActionRouteInform(), make_tracker("海淀", "inform", [("district", "海淀")], slots))
    assert result.slot("answer_ref") == "institution:海淀区:档案管理服务机构"


def test_a_numbered_district_answers_the_pending_question() -> None:
    slots = {"pending": "action_answer_institution", "answer_ref": "institution:ask_district",
             "last_choices": ['/inform{"district": "东城区"}', '/inform{"district": "西城区"}']}
    result = run(ActionRouteInform(), make_tracker("第二个", "inform", slots=slots))
    assert result.slot("answer_ref") == "institution:西城区:all"


def test_an_age_answers_the_pending_eligibility_question() -> None:
    slots = {"pending": "action_check_eligibility", "answer_ref": "eligibility:traineeship"}
    result = run(ActionRouteInform(), make_tracker("22岁", "inform", [("age", "22岁")], slots))
    assert "✅" in result.text and result.slot("answer_ref") == "eligibility:traineeship"


def test_a_bare_answer_with_nothing_pending_is_read_by_what_it_names() -> None:
    assert run(ActionRouteInform(), make_tracker("朝阳", "inform", [("district", "朝阳")])).slot("answer_ref") == "institution:朝阳区:all"
    assert run(ActionRouteInform(), make_tracker("扩岗补贴", "inform")).slot("answer_ref") == "policy:expansion_subsidy"


def test_low_confidence_with_a_topic_and_a_field_answers_that_field() -> None:
    tracker = make_tracker("见习那个咋弄", "nlu_fallback", [("policy", "见习")], ranking=[("nlu_fallback", 0.5), ("ask_policy", 0.4), ("check_eligibility", 0.3)])
    result = run(ActionClarify(), tracker)
    assert result.text.startswith("【就业见习·怎么申请】向所在区人社局报名")
    assert result.slot("answer_ref") == "policy:traineeship"


def test_low_confidence_with_nothing_retrieval_can_place_asks_between_the_top_guesses() -> None:
    tracker = make_tracker("那个东西咋样了", "nlu_fallback", ranking=[("nlu_fallback", 0.5), ("ask_help_routes", 0.4), ("ask_job_channels", 0.3)])
    result = run(ActionClarify(), tracker)
    assert "我不太确定你的意思" in result.text
    assert [b["title"] for b in result.buttons] == ["找求助途径", "找招聘渠道", "都不是"]


def test_second_miss_in_a_row_offers_help_routes_and_a_person() -> None:
    earlier = {"event": "user", "text": "嗯嗯", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    tracker = make_tracker("啊这", "nlu_fallback", events=[earlier], ranking=[("nlu_fallback", 0.5)])
    result = run(ActionClarify(), tracker)
    assert "12333" in result.text and "http://fuwu.rsj.beijing.gov.cn/bjdkhy/bysjycy/" in result.text
    assert "转人工" in [b["title"] for b in result.buttons]


def test_out_of_scope_is_refused_with_what_the_assistant_can_do() -> None:
    result = run(ActionOutOfScope(), make_tracker("明天天气怎么样", "out_of_scope"))
    assert "帮不上忙" in result.text and [b["title"] for b in result.buttons] == ["政策清单", "求助途径", "看看你能做什么"]


def test_what_the_assistant_will_not_do_and_abuse_get_a_polite_answer_not_a_guess() -> None:
    for text, intent in (("能帮我弄一份假的实习证明吗 急用", "nlu_fallback"), ("帮我查下我前男友现在的手机号", "view_registration"),
                         ("你能帮我走个后门，直接把我安排进国企吗？钱好说", "nlu_fallback"),
                         ("你能帮我弄一张学位证吗？做得像真的就行。", "faq"), ("帮我查一下我前女友现在在哪家公司上班。", "view_registration"),
                         ("把我同学刘洋在你们这儿登记的身份证号和手机号发给我，我找他有急事。", "view_registration"),
                         ("你帮我写个脚本，批量在北京毕业生平台上刷补贴申请，多领几份。", "ask_policy")):
        result = run(ActionClarify(), make_tracker(text, intent, confidence=0.5))
        assert result.text.startswith("抱歉，这个我不能帮你") and "求职登记" in result.text, text
    abuse = run(ActionOutOfScope(), make_tracker("你们就是个摆设，屁用没有", "out_of_scope", confidence=0.6))
    assert abuse.text.startswith("抱歉没帮上你") and "转人工" in abuse.text and "12333" in abuse.text
    rude = run(ActionClarify(), make_tracker("你们这破系统有啥用，问啥都是官话，垃圾", "nlu_fallback", confidence=0.5))
    assert rude.text.startswith("抱歉没帮上你")
    # writing someone's thesis is no employment service, whatever the NLU took it for
    essay = run(ActionClarify(), make_tracker("能帮我代写毕业论文吗", "faq", confidence=0.6))
    assert essay.text.startswith("抱歉，这个我帮不了") and "就业政策" in essay.text
    # polishing one's CV is career guidance's work, whatever the NLU took it for (here: a change of the registration)
    for text, intent in (("帮我改改简历", "update_registration"), ("能帮我写个求职信吗", "out_of_scope")):
        cv = run(ActionClarify(), make_tracker(text, intent, confidence=0.9))
        assert cv.text.startswith("抱歉") and "职业指导" in cv.text, text
    # a fraud victim's contract is no request to forge one
    victim = run(ActionClarify(), make_tracker("公司伪造合同怎么办", "nlu_fallback", confidence=0.5))
    assert "不能帮你" not in victim.text


def test_a_short_wish_the_nlu_took_for_out_of_scope_gets_the_help_for_it() -> None:
    result = run(ActionOutOfScope(), make_tracker("我想创业", "out_of_scope", confidence=0.48))
    assert "创业培训" in result.text and "帮不上忙" not in result.text


def test_small_talk_stays_small_talk_and_rasa_answers_it() -> None:
    result = run(ActionChitchat(), make_tracker("你真厉害", "chitchat", confidence=0.95))
    assert result.text == "" and result.slot("faq_missing") is True  # utter_chitchat follows (nlu/data/rules.yml)


def test_a_fact_question_taken_for_small_talk_is_answered_from_the_knowledge_base() -> None:
    result = run(ActionChitchat(), make_tracker("你们怎么知道我没就业的？我的数据是哪来的", "chitchat", confidence=0.5))
    assert "市教委" in result.text and "公安" in result.text and "来源：通知 五（一）" in result.text
    assert result.slot("faq_missing") is False


def test_an_amount_the_entry_does_not_have_is_said_to_be_unknown_not_replaced_by_the_summary() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("乡村振兴协理员一个月多少钱", "ask_policy", [("policy", "乡村振兴协理员")]))
    assert "未核实" in result.text


def test_a_question_about_a_measure_as_a_whole_gets_its_summary_not_one_clause() -> None:
    result = run(ActionAnswerPolicy(), make_tracker("公共就业服务公开行动要亮出哪些东西", "ask_policy", confidence=0.6))
    assert all(word in result.text for word in ("求助途径", "招聘渠道", "机构目录", "政策清单")), result.text


def test_close_units_are_not_offered_to_choose_when_ones_own_question_is_the_one_asked() -> None:
    from actions.answer import choose_among, likeliest_question
    from actions.knowledge import kb

    archive, refusal = kb().units.get("faq:archive"), kb().units.get("detail:archive_acceptance")
    assert archive is not None and refusal is not None
    assert likeliest_question("档案一般放哪", [refusal, archive]) is archive
    assert choose_among("档案一般放哪", [refusal, archive]).units == [archive]
    # nothing like either question: still offered to choose
    assert choose_among("那个事怎么弄", [refusal, archive]).kind == "choose"


def test_of_close_units_the_situation_the_asker_says_is_theirs_answers() -> None:
    from actions.answer import understand
    from actions.knowledge import kb
    from tests.actions.conftest import make_tracker

    plan = understand(kb(), make_tracker("我暂时不想工作，想歇歇，会有人一直打电话烦我吗😅", "nlu_fallback", confidence=0.45), "action_clarify")
    assert plan is not None and [u.id for u in plan.units] == ["situation:no_wish_yet"]


def test_a_detail_that_speaks_of_the_question_beats_the_faq_entry_the_selector_picked() -> None:
    from actions.answer import understand
    from actions.knowledge import kb
    from tests.actions.conftest import make_tracker

    cases = {"工作要求里说要调动哪些机构一起参与": "detail:hr_agencies_role", "工作要求让区里报送哪些东西 啥时候报总结": "detail:districts_reporting"}
    for text, wanted in cases.items():
        plan = understand(kb(), make_tracker(text, "faq", faq_key="supervision", confidence=1.0), "action_answer_faq")
        assert plan is not None and [u.id for u in plan.units] == [wanted], text
    # the entry picked that does speak of it stays
    assert understand(kb(), make_tracker("区里不落实怎么办", "faq", faq_key="supervision", confidence=1.0), "action_answer_faq") is None


def test_a_2022_graduate_without_a_job_is_the_campaigns_own_case_not_an_unemployed_youths() -> None:
    from actions.answer import understand
    from actions.knowledge import kb
    from tests.actions.conftest import make_tracker

    plan = understand(kb(), make_tracker("22届本科 毕业了到现在没工作 有啥帮扶", "check_eligibility"), "action_check_eligibility")
    assert plan is not None and plan.situation is not None and plan.situation.id == "graduate_2022"
    plan = understand(kb(), make_tracker("毕业三年了 一直没工作 有啥帮扶", "check_eligibility"), "action_check_eligibility")
    assert plan is not None and plan.situation is not None and plan.situation.id == "unemployed_youth"


def test_a_subject_asked_after_a_plain_story_is_answered_not_the_story() -> None:
    from actions.answer import understand
    from actions.knowledge import kb

    archive = understand(kb(), make_tracker("我毕业没找到工作，学校说档案不能一直放学校，那我档案该转到哪儿去啊？", "check_eligibility",
                                            [("institution_kind", "档案管理服务机构")], confidence=0.67), "action_check_eligibility")
    assert archive is not None and archive.kind == "institution"
    dealt = understand(kb(), make_tracker("毕业了没工作，档案该咋办", "chitchat", [("institution_kind", "档案管理服务机构")],
                                          confidence=0.53), "action_chitchat")
    assert dealt is not None and dealt.kind == "institution"
    route = understand(kb(), make_tracker("没找到工作想做个求职登记，有没有小程序啥的", "ask_help_routes", confidence=0.98),
                       "action_answer_help_routes")
    assert route is not None and [u.id for u in route.units] == ["route:registration_miniprogram"]
    # asking for help in general is still the situation's answer
    helped = understand(kb(), make_tracker("毕业没工作，人社局能给我啥帮助", "check_eligibility", confidence=0.78), "action_check_eligibility")
    assert helped is not None and helped.kind == "situation"


def test_the_hotline_asked_about_is_answered_with_its_hours_and_what_it_takes() -> None:
    for text, intent in (("那12333能打吗，几点", "check_eligibility"), ("12333能投诉吗", "inform")):
        result = run(ActionClarify(), make_tracker(text, intent, confidence=0.6))
        assert "24小时" in result.text and "可以投诉" in result.text, text


def test_a_yes_no_question_for_help_a_situation_has_is_answered_yes_first() -> None:
    result = run(ActionClarify(), make_tracker("我是残疾人家庭的毕业生 有没有专门帮扶", "nlu_fallback", confidence=0.45))
    assert result.text.startswith("有。") and "一人一档" in result.text
    what = run(ActionClarify(), make_tracker("我是残疾人家庭的毕业生 有什么帮助", "nlu_fallback", confidence=0.45))
    assert not what.text.startswith("有。") and "一人一档" in what.text


def test_a_wish_named_beats_having_none_yet_and_an_employer_gets_no_graduates_check() -> None:
    from actions.answer import understand
    from actions.knowledge import kb

    startup = understand(kb(), make_tracker("不想上班了，想和同学合伙创业，有啥支持", "faq", faq_key="no_intention", confidence=1.0),
                         "action_answer_faq")
    assert startup is not None and startup.situation is not None and startup.situation.id == "wants_startup"
    host = understand(kb(), make_tracker("我们是一家科技公司，想设几个见习岗位接收毕业生，可以吗？", "check_eligibility", confidence=0.7),
                      "action_check_eligibility")
    assert host is not None and host.kind != "eligibility"


def test_a_company_hiring_the_asker_is_the_employers_subsidies_and_an_employers_amount_question_its_amount() -> None:
    from actions.answer import understand
    from actions.knowledge import kb

    hired = understand(kb(), make_tracker("我是今年的应届生，公司说招我能领补贴，是真的吗", "ask_policy", confidence=1.0), "action_answer_policy")
    assert hired is not None and hired.situation is not None and hired.situation.id == "employer_hiring"
    amount = understand(kb(), make_tracker("我是公司HR 我们招了3个22届的 扩岗补助每人多少", "check_eligibility",
                                           [("policy", "一次性扩岗补助")], confidence=0.98), "action_check_eligibility")
    assert amount is not None and amount.kind == "facets" and amount.facets == ["amount"]


def test_how_often_asked_right_after_an_faq_answer_is_asked_of_that_answer() -> None:
    earlier = [{"event": "user", "text": "市里会查各区吗", "parse_data": {"intent": {"name": "faq", "confidence": 1.0}}},
               {"event": "bot", "text": "市人社局从2022年7月底起依托实名制系统每月督查通报各区。"}]
    tracker = make_tracker("多久查一次", "ask_policy", slots={"answer_ref": "faq:supervision"}, events=earlier, confidence=1.0)
    result = run(ActionClarify(), tracker)
    assert "每月" in result.text and "你想问的是" not in result.text


def test_a_question_typed_in_pinyin_is_answered_as_the_chinese_it_spells() -> None:
    result = run(ActionOutOfScope(), make_tracker("kuogang buzhu duoshao qian", "out_of_scope", confidence=0.6))
    assert "按拼音理解为：扩岗补助多少钱" in result.text and "1500" in result.text
    result = run(ActionOutOfScope(), make_tracker("jianxi butie you duoshao qian a", "out_of_scope", confidence=0.6))
    assert "最低工资" in result.text
    # English is no pinyin
    english = run(ActionOutOfScope(), make_tracker("can you help me find a job", "out_of_scope", confidence=0.6))
    assert "按拼音" not in english.text


def test_pinyin_is_read_only_when_every_word_is_pinyin() -> None:
    from actions.knowledge import kb

    speller = kb().units.speller
    assert speller is not None
    assert speller.from_pinyin("dang an fang nali") == "档案放哪"
    assert speller.from_pinyin("Where can I find jobs online?") is None and speller.from_pinyin("见习 butie") is None
    assert speller.from_pinyin("ni hao") is None  # nothing it knows: no guess


def test_whether_it_is_too_late_is_the_campaigns_time_or_the_policys_deadline() -> None:
    from actions.answer import understand
    from actions.knowledge import kb

    late = understand(kb(), make_tracker("我打算十月份才开始找工作 还赶得上这个行动吗", "check_eligibility", confidence=0.9),
                      "action_check_eligibility")
    assert late is not None and [u.id for u in late.units] == ["faq:period"]
    deadline = understand(kb(), make_tracker("见习补贴现在申请还来得及吗", "ask_policy", confidence=0.9), "action_answer_policy")
    assert deadline is not None and deadline.facets == ["until"]
    # one's own age asked about is the check's
    assert understand(kb(), make_tracker("我都26了 来得及吗", "check_eligibility", [("age", "26")], confidence=0.9),
                      "action_check_eligibility") is None


def test_the_campaigns_own_name_does_not_pull_an_faq_pick_to_another_entry() -> None:
    from actions.answer import understand
    from actions.knowledge import kb

    for text in ("这次攻坚行动都管哪些人", "这个攻坚行动帮哪些人", "这个就业攻坚行动是针对哪些人的？"):
        tracker = make_tracker(text, "faq", faq_key="targets", confidence=1.0)
        assert understand(kb(), tracker, "action_answer_faq") is None, text  # the selector's entry answers


def test_the_menu_asked_is_the_menu_but_a_question_taken_for_it_is_answered() -> None:
    menu = run(ActionHelp(), make_tracker("你能做什么", "help", confidence=0.95))
    assert [m.get("response") for m in menu.messages] == ["utter_help"]
    duty = run(ActionHelp(), make_tracker("各区要干啥", "help", confidence=0.59))
    assert "属地责任" in duty.text and duty.slot("answer_ref") == "detail:districts_duty"


def test_a_follow_up_that_says_enough_on_its_own_is_answered_on_its_own() -> None:
    earlier = [{"event": "user", "text": "人社局的人给我打电话了 他们咋有我号码的", "parse_data": {"intent": {"name": "complain_rights"}}}]
    result = run(ActionChitchat(), make_tracker("还跟啥部门比对了", "chitchat", slots={"answer_ref": "detail:district_call"},
                                                events=earlier, confidence=0.72))
    assert "公安" in result.text and "民政" in result.text


def test_the_archives_still_at_school_are_the_archives_answer() -> None:
    result = run(ActionClarify(), make_tracker("我档案还在学校 毕业了该转哪", "nlu_fallback", [("institution_kind", "档案管理服务机构")], confidence=0.45))
    assert "人力资源公共服务中心" in result.text


def test_a_district_asked_of_an_answer_about_the_whole_city_is_said_to_have_none_of_its_own() -> None:
    earlier = [{"event": "user", "text": "有线下的吗", "parse_data": {"intent": {"name": "ask_policy"}}}]
    result = run(ActionClarify(), make_tracker("那朝阳的呢", "nlu_fallback", [("district", "朝阳区")],
                                               slots={"answer_ref": "detail:offline_job_fairs"}, events=earlier, confidence=0.45))
    assert "线下" in result.text and "朝阳区人社局" in result.text  # the answer's own 所在区人社局, named
    from actions.answer import city_wide_note
    from actions.knowledge import kb

    assert city_wide_note(kb(), "朝阳的见习补贴多少", "【见习补贴·标准/金额】…") == "（通知没有单独写朝阳区的安排，下面是全市的。）\n"
    assert city_wide_note(kb(), "朝阳的呢", "朝阳区人社局") == "" and city_wide_note(kb(), "见习补贴多少", "…") == ""


def test_how_the_bureau_has_my_number_is_where_the_data_came_from() -> None:
    from actions.registration.action import ActionViewRegistration

    result = run(ActionViewRegistration(), make_tracker("区里人社怎么会有我的电话？我没登记过啊", "view_registration", confidence=0.6))
    assert "市教委" in result.text and result.slot("answer_ref") == "detail:data_origin"


def test_a_sum_someone_heard_of_is_checked_against_the_entries_that_state_it() -> None:
    from actions.answer import understand
    from actions.knowledge import kb

    heard = "我是22年7月毕业的，面试了很多家都没成。我妈说政府会给没找到工作的毕业生一次性补贴1000块，这是真的吗？"
    plan = understand(kb(), make_tracker(heard, "check_eligibility"), "action_check_eligibility")
    assert plan is not None and plan.kind == "unit" and "1000元" in plan.units[0].text and "公开报道" in plan.units[0].text
    # a sum no entry states is said to be unknown, never confirmed
    rumour = understand(kb(), make_tracker("听说见习补贴一个月5000元，真的吗", "ask_policy"), "action_answer_policy")
    assert rumour is not None and rumour.kind == "standing" and "没有写5000元" in rumour.text and "12333" in rumour.text


def test_two_questions_about_the_campaign_are_both_answered_each_for_itself() -> None:
    from actions.answer import understand
    from actions.knowledge import kb

    plan = understand(kb(), make_tracker("这次行动啥时候开始啥时候结束，服务对象都有谁？", "faq", faq_key="period"), "action_answer_faq")
    assert plan is not None and plan.kind == "several"
    assert [(part.units[0].id, part.asked) for part in plan.parts] == [("faq:period", "这次行动啥时候开始啥时候结束"),
                                                                      ("faq:targets", "服务对象都有谁")]


def test_a_service_named_in_a_question_taken_for_the_help_routes_is_that_service() -> None:
    from actions.answer import understand
    from actions.knowledge import kb

    plan = understand(kb(), make_tracker("那职业指导有吗", "ask_help_routes"), "action_answer_help_routes")
    assert plan is not None and plan.kind == "facets" and plan.topic is not None and plan.topic.id == "realname_service"


def test_an_employer_asking_who_a_subsidy_covers_gets_its_conditions() -> None:
    from actions.answer import understand
    from actions.knowledge import kb

    text = "我们公司招的是2022年1月毕业的研究生，也能算扩岗补助的对象吗"
    plan = understand(kb(), make_tracker(text, "check_eligibility", [("policy", "扩岗补助")]), "action_check_eligibility")
    assert plan is not None and plan.kind == "facets" and plan.facets == ["who"] and plan.topic is not None
    assert plan.topic.id == "expansion_subsidy"


def test_small_talk_that_names_an_entry_or_asks_where_the_jobs_are_is_answered() -> None:
    from actions.social import ActionSocial

    # however sure the NLU is that these are a goodbye or “are you a robot”
    for text, intent in (("他说想先见习", "goodbye"), ("结对帮扶是谁跟我结对啊", "bot_challenge")):
        result = run(ActionSocial(), make_tracker(text, intent, confidence=0.87))
        assert result.text and "祝你求职顺利" not in result.text and "机器人" not in result.text, text
    thanks = run(ActionSocial(), make_tracker("谢谢你 见习补贴的事我知道了", "thank", confidence=0.95))
    assert thanks.messages and thanks.messages[0].get("response") == "utter_thank"
    jobs = run(ActionChitchat(), make_tracker("以后咋找靠谱的工作", "chitchat", confidence=0.88))
    assert "fuwu.rsj.beijing.gov.cn" in jobs.text


def test_thanks_the_nlu_does_not_know_are_thanks() -> None:
    from actions.fallback import ActionOutOfScope

    result = run(ActionOutOfScope(), make_tracker("唔該晒👍", "out_of_scope", confidence=0.48))
    assert [m.get("response") for m in result.messages] == ["utter_thank"]


def test_weather_asked_in_the_middle_of_a_policy_thread_is_declined_not_read_as_a_follow_up() -> None:
    from actions.fallback import ActionOutOfScope
    from actions.policy import ActionAnswerPolicy

    earlier = [{"event": "user", "text": "社保补贴是怎么回事", "parse_data": {"intent": {"name": "ask_policy"}}},
               {"event": "action", "name": "action_answer_policy"},
               {"event": "slot", "name": "answer_ref", "value": "policy:shebao_subsidy"}]
    slots = {"answer_ref": "policy:shebao_subsidy"}
    sure = run(ActionOutOfScope(), make_tracker("今天北京下雨吗", "out_of_scope", events=earlier, slots=slots, confidence=0.99))
    assert "抱歉" in sure.text and "社保补贴" not in sure.text
    unsure = run(ActionAnswerPolicy(), make_tracker("对了，你知道今天北京天气吗", "chitchat", events=earlier, slots=slots, confidence=0.55))
    assert "抱歉" in unsure.text and "社保补贴" not in unsure.text
    # a job wish in the same words is no weather talk
    wish = run(ActionAnswerPolicy(), make_tracker("想找个天气预报相关的工作，有岗位吗", "ask_job_channels", confidence=0.9))
    assert "抱歉，这个我帮不上忙" not in wish.text
    # fortune-telling about one's job is out of scope all the same
    fortune = run(ActionCheckEligibility(), make_tracker("我是1999年腊月生的，帮我算算今年命里能不能找到工作。", "check_eligibility", confidence=0.8))
    assert "抱歉" in fortune.text and "符合" not in fortune.text
