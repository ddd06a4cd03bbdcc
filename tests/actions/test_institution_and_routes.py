from __future__ import annotations

import re

from actions.faq import ActionAnswerFaq
from actions.institution import ActionAnswerInstitution
from actions.routes import ActionAnswerHelpRoutes, ActionAnswerJobChannels, ActionAnswerRights
from tests.actions.conftest import make_tracker, run

PHONE_LIKE = re.compile(r"\d{5,}")


def test_directory_question_without_district_asks_with_all_districts() -> None:
    result = run(ActionAnswerInstitution(), make_tracker("档案放哪", "ask_institution", [("institution_kind", "档案")]))
    assert "请问你在哪个区" in result.text and "档案管理服务机构" in result.text
    assert len(result.buttons) == 17 and result.buttons[-1]["title"] == "北京经济技术开发区"
    assert result.slot("pending") == "action_answer_institution"
    assert result.slot("answer_ref") == "institution:ask_district"


def test_district_and_kind_give_that_office_marked_as_sample_with_no_invented_contact() -> None:
    result = run(ActionAnswerInstitution(), make_tracker("亦庄的人才中心在哪", "ask_institution", [("district", "亦庄"), ("institution_kind", "人才中心")]))
    assert result.slot("answer_ref") == "institution:北京经济技术开发区:人才服务机构"
    assert result.text.startswith("⚠️ 示例条目：地址、电话、办公时间未核实")
    assert "【北京经济技术开发区人才服务机构】" in result.text
    assert PHONE_LIKE.findall(result.text) == ["12333"]


def test_district_alone_lists_every_kind() -> None:
    result = run(ActionAnswerInstitution(), make_tracker("海淀区有哪些服务机构", "ask_institution", [("district", "海淀区")]))
    assert result.slot("answer_ref") == "institution:海淀区:all"
    assert result.text.count("【海淀区") == 3


def test_district_from_earlier_in_the_conversation_is_said_so() -> None:
    slots = {"district": "朝阳区", "answer_ref": "institution:朝阳区:档案管理服务机构", "institution_kind": "档案管理服务机构"}
    result = run(ActionAnswerInstitution(), make_tracker("那人才服务中心呢", "ask_institution", [("institution_kind", "人才服务中心")], slots))
    assert result.text.startswith("（按你之前说的朝阳区查询")
    assert result.slot("answer_ref") == "institution:朝阳区:人才服务机构"


def test_named_help_route_and_the_list() -> None:
    named = run(ActionAnswerHelpRoutes(), make_tracker("12333是干嘛的", "ask_help_routes"))
    assert named.slot("answer_ref") == "route:hotline_12333" and "电话：12333" in named.text
    listed = run(ActionAnswerHelpRoutes(), make_tracker("找不到工作去哪求助", "ask_help_routes"))
    assert listed.slot("answer_ref") == "routes:list"
    assert "未就业高校毕业生求职登记小程序" in listed.text and "具体入口未核实" in listed.text


def test_job_channels_include_the_sites_and_the_fairs() -> None:
    result = run(ActionAnswerJobChannels(), make_tracker("去哪找工作", "ask_job_channels"))
    assert result.slot("answer_ref") == "channels:list"
    assert "http://job.mohrss.gov.cn/" in result.text and "仲夏之约" in result.text and "五（七）" in result.text


def test_rights_complaint_gets_the_notice_route_and_12333() -> None:
    result = run(ActionAnswerRights(), make_tracker("用人单位侵犯我的权益怎么办", "complain_rights"))
    assert "12333" in result.text and "虚假招聘" in result.text and "通知 五（九）" in result.text
    assert result.slot("answer_ref") == "rights"


def test_rights_answers_fit_the_situation() -> None:
    fraud = run(ActionAnswerRights(), make_tracker("找工作交了押金人跑了", "complain_rights"))
    assert fraud.text.startswith("损失了钱的，请先报警") and fraud.slot("answer_ref") == "situation:fraud_money_lost"
    bias = run(ActionAnswerRights(), make_tracker("面试只要男生算不算歧视", "complain_rights"))
    assert "约谈" in bias.text and "报警" not in bias.text and bias.slot("answer_ref") == "situation:discrimination"
    offer = run(ActionAnswerRights(), make_tracker("单位把我的offer撤回了", "complain_rights"))
    assert offer.slot("answer_ref") == "situation:contract_broken" and "无故解约" in offer.text


def test_faq_answer_comes_from_the_knowledge_base() -> None:
    result = run(ActionAnswerFaq(), make_tracker("行动到啥时候", "faq", faq_key="period"))
    assert "2022年7月—12月" in result.text and "来源：通知 三" in result.text
    assert result.slot("faq_missing") is False and result.slot("answer_ref") == "faq:period"


def test_faq_removed_from_the_knowledge_base_hands_over_to_the_trained_text() -> None:
    result = run(ActionAnswerFaq(), make_tracker("某个问题", "faq", faq_key="no_such_entry"))
    assert result.messages == [] and result.slot("faq_missing") is True


def test_where_to_look_after_the_recruitment_campaigns_is_the_channels_list() -> None:
    result = run(ActionAnswerJobChannels(), make_tracker("在哪看", "ask_job_channels", slots={"answer_ref": "measure:m7"}, confidence=0.95))
    assert result.slot("answer_ref") == "channels:list" and "fuwu.rsj.beijing.gov.cn" in result.text


def test_may_i_complain_gets_a_yes_first() -> None:
    result = run(ActionAnswerRights(), make_tracker("面试时说不要女生，我能投诉吗", "complain_rights"))
    assert result.text.startswith("可以。就业歧视") and "12333" in result.text


def test_the_archives_asked_after_a_subsidy_are_the_archives_not_the_subsidys_office() -> None:
    earlier = [{"event": "user", "text": "见习补贴标准", "parse_data": {"intent": {"name": "ask_policy"}}}]
    result = run(ActionAnswerInstitution(), make_tracker("对了，毕业档案放哪", "ask_institution", [("institution_kind", "档案管理服务机构")],
                                                         slots={"answer_ref": "policy:traineeship_subsidy"}, events=earlier))
    assert "档案" in result.text and "见习补贴" not in result.text


def test_where_to_find_work_after_an_eligibility_answer_is_the_channels_list() -> None:
    result = run(ActionAnswerJobChannels(), make_tracker("那我还能去哪找工作", "ask_job_channels", slots={"answer_ref": "eligibility:traineeship"},
                                                         confidence=0.72))
    assert result.slot("answer_ref") == "channels:list" and "job.mohrss.gov.cn" in result.text
    online = run(ActionAnswerJobChannels(), make_tracker("线上招聘会在哪看", "ask_job_channels", confidence=0.97))
    assert online.slot("answer_ref") == "channels:list" and "fuwu.rsj.beijing.gov.cn" in online.text


def test_not_wanting_to_look_for_work_is_no_question_where_the_jobs_are() -> None:
    result = run(ActionAnswerJobChannels(), make_tracker("我暂时真不想找工作 别老打", "ask_job_channels", confidence=0.6))
    assert result.slot("answer_ref") != "channels:list" and "跟进" in result.text
