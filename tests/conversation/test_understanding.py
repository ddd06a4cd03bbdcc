"""What a graduate actually asked, through the real REST channel: the field asked for, a clause
inside a measure, their own situation, follow-ups that keep the topic, English, and the features
that used to be confused (失业登记 vs 求职登记, rights problems, data safety, out of scope)."""
from __future__ import annotations

import pytest

from tests.conftest import Conversation

pytestmark = pytest.mark.stack


def test_a_clause_inside_a_measure_is_answered_not_the_whole_card(conversation: Conversation) -> None:
    text = conversation.text("什么单位可以提供见习岗位呀")
    assert "社会组织" in text and "科研项目" in text and "来源：通知 五（五）" in text
    assert len(text.splitlines()) <= 4


def test_i_am_x_lists_the_help_for_x_before_any_eligibility_check(conversation: Conversation) -> None:
    text = conversation.text("我家吃低保，我今年毕业还没工作，能有什么帮扶")
    assert "3-5个就业机会" in text and "公益性岗位" in text and "符合条件。" not in text
    assert conversation.slot("answer_ref") == "situation:hardship_family"


def test_follow_ups_keep_the_policy_in_play(conversation: Conversation) -> None:
    conversation.text("见习补贴是什么")
    assert "由见习单位向所在区人社局申请" in conversation.text("那怎么申请")
    assert "2200元" in conversation.text("能给多少")
    assert "2022年底" in conversation.text("截止到啥时候")
    assert "未核实" in conversation.text("要准备哪些材料")
    assert conversation.slot("answer_ref") == "policy:traineeship_subsidy"


def test_an_age_follow_up_is_checked_against_the_policy_in_play(conversation: Conversation) -> None:
    conversation.text("就业见习是干什么的")
    text = conversation.text("我都26了还可以吗")
    assert "就业见习" in text and "16-24岁" in text


def test_a_district_follow_up_changes_the_district(conversation: Conversation) -> None:
    assert "朝阳区" in conversation.text("朝阳区的就业服务中心在哪")
    text = conversation.text("那海淀的呢")
    assert "海淀区" in text and "示例" in text


def test_unemployment_registration_is_not_the_chats_job_seeker_registration(conversation: Conversation) -> None:
    text = conversation.text("失业登记要去哪里办理")
    assert "失业登记" in text and "求职登记" in text and "12333" in text
    assert conversation.slot("active_task") is None  # no registration was started


def test_how_many_recommendations_is_the_service_promise_not_a_subscription(conversation: Conversation) -> None:
    text = conversation.text("登记以后你们一共会推荐几次工作")
    assert "3次岗位推介" in text


def test_money_lost_to_a_fake_job_says_call_the_police_first(conversation: Conversation) -> None:
    text = conversation.text("面试让我先交800培训费，交完人就联系不上了")
    assert text.startswith("损失了钱的，请先报警")


def test_is_my_data_safe_is_about_this_assistant_not_a_complaint(conversation: Conversation) -> None:
    text = conversation.text("我在这填身份证号安全吗")
    assert "加密" in text and "删除我的登记" in text


def test_a_question_in_english_gets_an_english_answer(conversation: Conversation) -> None:
    text = conversation.text("Who can join a traineeship?")
    assert "16" in text and "24" in text and "Source:" in text


def test_out_of_scope_is_refused_politely_in_both_languages(conversation: Conversation) -> None:
    assert "帮不上忙" in conversation.text("帮我写一篇关于青春的散文")
    assert "Sorry" in conversation.text("Can you book me a flight to Shanghai?")


def test_asking_how_to_reach_a_person_at_12333_answers_it_and_opens_no_case(conversation: Conversation) -> None:
    text = conversation.text("12333怎么转人工")
    assert "按1再按0" in text and "24小时" in text
    assert conversation.slot("active_task") is None  # no handoff case was opened


def test_i_want_to_register_as_unemployed_explains_unemployment_registration(conversation: Conversation) -> None:
    text = conversation.text("我想登记失业")
    assert "失业登记" in text and "12333" in text and "你同意吗" not in text
    assert conversation.slot("active_task") is None


def test_in_english_asking_for_a_person_opens_a_case(conversation: Conversation) -> None:
    text = conversation.text("Can I speak to a real person, please?")
    assert "staff" in text and "已为你转接人工服务" in text
    assert conversation.slot("active_task") == "action_offer_human"
    assert "结束人工服务" in conversation.text("不用了")


def test_in_english_asking_to_register_starts_the_registration(conversation: Conversation) -> None:
    text = conversation.text("How do I register as a job seeker?")
    assert "同意" in text and "privacy" in text
    assert conversation.slot("active_task") == "action_registration"
    assert "已取消" in conversation.text("取消")


def test_a_lottery_request_is_politely_refused(conversation: Conversation) -> None:
    text = conversation.text("帮我选几个这期彩票的号码吧")
    assert "抱歉" in text and "岗位推介" not in text


def test_an_english_question_the_nlu_cannot_classify_is_answered_in_english(conversation: Conversation) -> None:
    text = conversation.text("When does the campaign run?")
    assert "July" in text and "December" in text and "机器人" not in text


def test_a_short_follow_up_is_read_with_the_question_before_it(conversation: Conversation) -> None:
    conversation.text("我想创业 有啥支持")
    text = conversation.text("贷款能贷多少")
    assert "未核实" in text and "贷款" in text


def test_a_second_policy_named_in_a_follow_up_becomes_the_topic_in_play(conversation: Conversation) -> None:
    conversation.text("扩岗补助多少")
    assert "重复享受" in conversation.text("它和一次性吸纳就业补贴两个能一起领吗")
    assert "2022年12月31日" in conversation.text("到啥时候")  # of the policy named last


def test_a_short_follow_up_the_nlu_takes_for_small_talk_keeps_the_thread(conversation: Conversation) -> None:
    conversation.text("就业超市是什么")
    text = conversation.text("在哪")
    assert "就业超市" in text and "你好！我是" not in text
    conversation.text("电话怎么转人工")
    assert "24小时" in conversation.text("晚上能打吗")
    conversation.text("这通知谁发的")
    assert "7月19日" in conversation.text("哪天")


def test_is_that_figure_reliable_says_where_it_comes_from(conversation: Conversation) -> None:
    conversation.text("求职创业补贴多少钱")
    text = conversation.text("这个数靠谱吗")
    assert "新闻报道" in text and "以官方文件为准" in text and "谢谢夸奖" not in text
    conversation.text("实名台账都记些什么")
    assert "通知的原文" in conversation.text("这是哪个文件规定的")


def test_an_acknowledgement_is_acknowledged_and_another_district_is_added_to_a_subscription(conversation: Conversation) -> None:
    assert "随时问我" in conversation.text("好嘞👍")
    conversation.text("订阅朝阳区的招聘会")
    text = conversation.text("那海淀的呢")
    assert "海淀" in text and "朝阳" in text and "订阅" in text


def test_an_elliptical_follow_up_is_about_what_it_names_within_the_thread(conversation: Conversation) -> None:
    conversation.text("单位突然跟我解约了，怎么办")
    assert "约谈" in conversation.text("要是国企呢")  # the broken contract, at a state-owned employer
    conversation.text("线上的都是什么形式")
    assert "线下" in conversation.text("线下的呢")
    conversation.text("乡村振兴协理员2019年招了多少人")
    assert "432" in conversation.text("20年呢")


def test_a_field_the_knowledge_base_lacks_is_said_to_be_unknown_not_repeated(conversation: Conversation) -> None:
    conversation.text("大专能报社区工作者吗")
    text = conversation.text("今年啥时候报名")
    assert "未核实" in text and "政策清单" not in text


def test_who_counts_as_a_hardship_family_is_answered_from_its_field(conversation: Conversation) -> None:
    text = conversation.text("哪些算困难家庭")
    assert "低保" in text and "据公开报道" in text


# ---- round 4: typos, "I am X" in the eligibility check's words, what the knowledge base does not hold

def test_a_homophone_typo_of_a_policy_name_is_understood(conversation: Conversation) -> None:
    text = conversation.text("间习不贴咋领")  # 见习补贴 typed with a pinyin keyboard
    assert "见习补贴" in text and "由见习单位向所在区人社局申请" in text
    assert conversation.slot("answer_ref") == "policy:traineeship_subsidy"


def test_i_am_x_what_policies_lists_the_help_not_an_eligibility_check(conversation: Conversation) -> None:
    text = conversation.text("本人研究生 离校未就业 有啥政策")
    assert "1次职业指导、3次岗位推介" in text and "还需要知道你的毕业年份" not in text
    assert conversation.slot("answer_ref") == "situation:graduate_2022"


def test_i_am_x_of_another_year_still_gets_the_check(conversation: Conversation) -> None:
    text = conversation.text("我是2019届的 离校未就业 有啥政策")
    assert "2019" in text or "不符合" in text or "2年" in text
    assert conversation.slot("answer_ref") != "situation:graduate_2022"


@pytest.mark.parametrize("question, topic", [
    ("应届生租房有补贴吗", "租房"),
    ("北京落户应届生咋弄", "落户"),
    ("国考啥时候报名", "公务员考试"),
    ("我是退役大学生士兵 有专门的政策吗", "退役"),
    ("失业金一个月能领多少", "失业保险金"),
])
def test_what_the_knowledge_base_does_not_hold_is_said_so(conversation: Conversation, question: str, topic: str) -> None:
    text = conversation.text(question)
    assert topic in text and "未核实" in text and ("12333" in text or "为准" in text)  # and where to ask


def test_english_with_a_chinese_term_is_answered_from_that_term(conversation: Conversation) -> None:
    text = conversation.text("Do I still need a 报到证?")
    assert "2023" in text


def test_english_what_can_you_do_states_the_promise(conversation: Conversation) -> None:
    text = conversation.text("Hi, I graduated from a Beijing university this summer and still don't have a job. What can you do for me?")
    assert "3 job recommendations" in text and "通知 五（八）" in text


def test_english_off_topic_is_declined(conversation: Conversation) -> None:
    text = conversation.text("what's the weather in Beijing today")
    assert text.startswith("Sorry")


def test_the_most_specific_situation_answers(conversation: Conversation) -> None:
    text = conversation.text("我是2022届的，家里低保，有什么帮扶")
    assert "3-5个就业机会" in text
    assert conversation.slot("answer_ref") == "situation:hardship_family"


def test_a_yes_no_about_a_named_policy_is_not_answered_with_the_situation(conversation: Conversation) -> None:
    conversation.text("我想先考研 暂时不找工作")
    text = conversation.text("那考研期间能去见习不")
    assert "就业见习" in text and ("2年" in text or "16-24" in text)


def test_whether_two_subsidies_combine_is_answered(conversation: Conversation) -> None:
    conversation.text("一次性吸纳就业补贴是什么")
    assert "不能，两者不重复享受" in conversation.text("和扩岗补助能一起领吗")  # the yes/no first
    conversation.text("扩岗补助是啥")
    assert "不能，两者不重复享受" in conversation.text("两个能都拿吗")


def test_whether_two_other_policies_combine_is_never_answered_with_another_pairs_rule(conversation: Conversation) -> None:
    text = conversation.text("见习补贴和社保补贴能一起领吗")
    assert "两者不重复享受" not in text and "扩岗" not in text


def test_a_help_question_follows_the_situation_in_play(conversation: Conversation) -> None:
    conversation.text("家里条件也不好 我妈在吃低保")
    text = conversation.text("真的能帮我找到吗")
    assert "100%帮扶" in text


def test_a_programme_with_its_subsidy_asked_gets_who_is_paid_and_how_much(conversation: Conversation) -> None:
    text = conversation.text("我想参加见习，有补贴吗")
    assert "补贴发给单位" in text and "最低工资" in text
    text = conversation.text("见习期还没满单位就跟我签了劳动合同，补贴还有吗")
    assert "剩余期限" in text


def test_taking_part_in_the_campaign_is_checked_against_its_rules(conversation: Conversation) -> None:
    text = conversation.text("今年37了 刚失业 能参加这个行动不")
    assert "35岁以下" in text and "37岁" in text


def test_the_measures_asked_for_are_the_list(conversation: Conversation) -> None:
    assert "10项主要措施" in conversation.text("就业攻坚行动都有哪些措施")


def test_whether_districts_add_to_the_traineeship_subsidy_is_answered_with_its_standing(conversation: Conversation) -> None:
    text = conversation.text("区里会额外加见习补贴吗")
    assert "自行增加" in text and "2019" in text and "未核实" in text


@pytest.mark.parametrize("question, fact", [
    ("有没有线上的招聘啊 我不想跑现场", "无接触面试"),
    ("北京自己办的招聘活动都有啥", "仲夏之约"),
    ("人社部搞的那个网络招聘叫啥名", "百日千万"),
])
def test_each_recruitment_clause_is_reached_in_everyday_words(conversation: Conversation, question: str, fact: str) -> None:
    assert fact in conversation.text(question)


def test_two_questions_in_one_message_are_both_answered(conversation: Conversation) -> None:
    texts = [m.get("text", "") for m in conversation.say("扩岗补助多少钱？见习补贴发给谁？")]
    assert len(texts) == 2 and "1500" in texts[0] and "见习单位" in texts[1]


def test_one_policy_asked_twice_in_a_message_is_one_answer(conversation: Conversation) -> None:
    text = conversation.text("我想知道见习补贴怎么领，多少钱")
    assert "直补快办" in text or "向所在区人社局申请" in text
    assert "最低工资" in text


def test_an_exact_date_not_known_is_said_to_be_unknown(conversation: Conversation) -> None:
    text = conversation.text("仲夏之约具体哪天在哪办")
    assert "仲夏之约" in text and "具体日期和地点目前没有可核实的信息" in text and "12333" in text


def test_an_employer_hiring_graduates_gets_the_employers_subsidies_not_a_check(conversation: Conversation) -> None:
    messages = conversation.say("我们是小公司 招了几个22届的 能申请啥补贴")
    text = "\n".join(m.get("text", "") for m in messages)
    assert "一次性扩岗补助" in text and "一次性吸纳就业补贴" in text and "以官方文件为准" in text
    assert "我符合条件吗" not in conversation.buttons(messages) and "符合条件。" not in text


def test_close_entries_are_told_apart_by_a_word_only_one_speaks_of(conversation: Conversation) -> None:
    text = conversation.text("若干措施是哪个部门印发的")
    assert "北京市人民政府办公厅" in text


def test_a_look_alike_typo_of_a_term_is_understood(conversation: Conversation) -> None:
    text = conversation.text("残疫人毕业生有啥帮扶")
    assert "3-5个就业机会" in text and "残联" in text


def test_working_without_a_contract_gets_the_law_and_where_to_complain(conversation: Conversation) -> None:
    text = conversation.text("干了三个月了老板一直不肯签合同 怎么办")
    assert "二倍工资" in text and "12333" in text and "劳动仲裁" in text and "劳动合同法" in text


def test_a_rights_follow_up_stays_with_the_situation(conversation: Conversation) -> None:
    conversation.say("找工作被骗了 交了800押金")
    text = conversation.text("报警有用吗 还是去人社")
    assert "报警" in text and "12333" in text


def test_private_employers_are_covered_by_the_rights_measure_too(conversation: Conversation) -> None:
    conversation.say("offer被撤了 公司说不要我了")
    assert "各类用人单位" in conversation.text("私营公司也管吗")


def test_a_detail_of_the_hardship_help_is_its_field_not_the_whole_help(conversation: Conversation) -> None:
    text = conversation.text("困难家庭的结对帮扶都是谁来结对")
    assert "党员干部" in text


def test_where_a_districts_office_is_right_after_subscribing_is_the_directory(conversation: Conversation) -> None:
    conversation.text("订阅通州区的招聘会")
    text = conversation.text("通州区人社局在哪")
    assert "通州区" in text and "示例" in text and "订阅" not in text


def test_a_bare_which_day_after_an_answer_says_the_day_is_not_known(conversation: Conversation) -> None:
    conversation.text("有啥招聘活动")
    conversation.text("秋天呢")
    text = conversation.text("具体哪天")
    assert "金秋招聘月" in text and "具体日期目前没有可核实的信息" in text


@pytest.mark.parametrize("question", ["我们是一家社会组织（民非），能不能申请设立见习岗位？", "我们是一个科研项目组，能招见习生吗"])
def test_an_organisation_asking_whether_it_may_host_trainees_gets_yes_and_who_may(conversation: Conversation, question: str) -> None:
    text = conversation.text(question)
    assert text.startswith("可以。") and "社会组织" in text and "科研项目" in text


def test_an_employer_asking_whether_it_qualifies_gets_the_conditions_and_keeps_them(conversation: Conversation) -> None:
    text = conversation.text("我们是小微企业，新招的毕业生签的是半年合同，能领一次性吸纳就业补贴吗？")
    assert "1年以上劳动合同" in text
    assert "1年以上劳动合同" in conversation.text("那要是我们只签半年呢？")


def test_what_happens_next_after_a_clause_is_the_whole_measure(conversation: Conversation) -> None:
    assert "7月中旬" in conversation.text("今年离校未就业毕业生的数据，人社局什么时候跟教委交接？")
    text = conversation.text("交接以后会做什么处理？")
    assert "公安" in text and "数据库" in text


def test_materials_asked_after_an_entry_that_lists_none_are_said_to_be_unlisted(conversation: Conversation) -> None:
    assert "第一步做求职登记" in conversation.text("没找到工作，第一步该干嘛")
    text = conversation.text("去区里办要带什么")
    assert "通知没有列出需要的材料" in text


@pytest.mark.parametrize("question", ["见习期还没满公司就跟我签合同了 公司还能拿补贴吗", "见习还没到期，见习单位就和见习人员签了劳动合同，单位还能拿补贴吗？"])
def test_a_traineeship_ended_early_by_a_contract_is_the_remaining_subsidy(conversation: Conversation, question: str) -> None:
    text = conversation.text(question)
    assert "剩余期限" in text and "2022年底" in text


def test_still_no_job_after_a_hardship_familys_help_keeps_that_help(conversation: Conversation) -> None:
    conversation.text("我是孩子奶奶，家里是低保户，孙子今年毕业还没工作，政府能帮啥？")
    text = conversation.text("实在找不着工作呢")
    assert "公益性岗位" in text and "兜底" in text


# one question, the words its answer must hold and the words it must not (round 11's held-out misses, in other words)
ANSWERED = [
    ("我是残疾人 22届毕业 我信息会给残联吗", ["残联"], ["你符合条件"]),  # an age beside a question about one's data: no check
    ("通知要求各区对见习做到哪“两清”？", ["底数清", "需求清"], []),  # a quoted term of the notice: its clause
    ("公共就业服务公开行动要求“亮出”哪些东西？", ["求助途径", "招聘渠道", "目录", "政策清单"], []),  # shared by several clauses, a list asked
    ("面试时被问有没有对象、打不打算生孩子，然后就不要我了，这算就业歧视吗？人社部门怎么处理？", ["歧视"], []),  # the problem named last
    ("您好，我是一名家长。我女儿2022年6月从北京一所二本院校毕业，学会计的，到现在还没找到工作。想问问你们这个攻坚行动能为她做些什么？",
     ["职业指导", "岗位推介"], ["还需要知道"]),  # “做些什么” is no yes/no question
    ("我家是低保家庭，我2022年大专毕业，到现在没工作。有什么帮扶政策吗？", ["一人一档", "3-5个就业机会"], []),
    ("我弟弟毕业后想自己创业，不想上班。通知里对有创业意向的毕业生提供什么服务？", ["创业培训", "创业服务", "扶持"], []),
    ("我是零就业家庭的毕业生，除了推荐岗位，有没有现金补贴可以领？", ["求职创业补贴", "1000"], []),
    ("我是社区工作人员，辖区里有离校未就业的大学生，区人社局会怎么联系他们？", ["电话", "走访"], []),  # 社区工作人员 is no typo of 社区工作者
    ("Thanks, what's the platform website?", ["fuwu.rsj.beijing.gov.cn"], []),
    ("平台网址发我一下", ["fuwu.rsj.beijing.gov.cn"], []),
    ("俺22届北京生源 毕业了还没工作 啥也不懂 该先干嘛🙏", ["第一步做求职登记"], ["还需要知道"]),
    ("我今年毕业，家在顺义，想去区里的就业服务中心当面咨询，顺义区就业服务中心的地址和电话是多少？", ["顺义区", "示例"], []),
]


@pytest.mark.parametrize("question, said, unsaid", ANSWERED)
def test_the_question_asked_is_answered(conversation: Conversation, question: str, said: list, unsaid: list) -> None:
    text = conversation.text(question)
    assert all(word in text for word in said) and not any(word in text for word in unsaid), text
