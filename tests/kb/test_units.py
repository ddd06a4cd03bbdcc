"""Answer units and their retrieval: what a question reaches, how fast, and how a broken
situations or English file is reported (file, entry, field)."""
from __future__ import annotations

import time
from pathlib import Path

from policy_kb import load_kb
from policy_kb.text import is_english
from policy_kb.units import asked_facets
from tests.kb.test_loading import edit, problems_after


def test_every_policy_field_measure_clause_route_faq_and_situation_is_a_unit_with_sources() -> None:
    kb = load_kb()
    units = kb.units.by_id
    assert "policy:traineeship_subsidy#amount" in units and "policy:traineeship_subsidy#until" in units
    assert "measure:m5#1" in units and "measure:m8#5" in units
    assert "route:hotline_12333" in units and "faq:period" in units and "situation:fraud_money_lost" in units
    assert all(unit.sources for unit in units.values())
    assert units["policy:shebao_subsidy#amount"].missing and not units["policy:traineeship_subsidy#until"].missing


def test_a_detail_question_reaches_its_clause() -> None:
    kb = load_kb()
    cases = {
        "哪些单位能设立见习岗位": "measure:m5#1",
        "暑期办哪些招聘活动": "measure:m7#2",
        "毕业生数据什么时候交接": "measure:m1#1",
        "不想上班的话你们会怎么处理": ("faq:no_intention", "situation:no_wish_yet"),  # the same answer, either way
        "被骗了交了押金怎么办": "situation:fraud_money_lost",
    }
    for question, wanted in cases.items():
        top = [hit.unit.id for hit in kb.units.search(question, limit=2)]
        assert set([wanted] if isinstance(wanted, str) else wanted) & set(top), (question, top)


def test_english_questions_reach_english_texts() -> None:
    kb = load_kb()
    assert is_english("Who can join a traineeship?") and not is_english("见习补贴 OK 吗")
    assert kb.units.search_english("Who can join a traineeship?", limit=1)[0].unit.id == "policy:traineeship#who"
    assert kb.units.search_english("I was scammed by a fake recruiter", limit=1)[0].unit.id == "situation:fraud_money_lost"
    # a question kept among an entry's keywords is that entry, however few words remain once the empty ones go
    assert kb.units.search_english("Who is the campaign for?", limit=1)[0].unit.id == "faq:targets"
    assert not is_english("dangan放哪")  # one pinyin word beside Chinese is no English


def test_the_field_asked_is_read_from_everyday_words() -> None:
    assert asked_facets("在哪报名，要带什么") == ["materials", "where"]
    assert asked_facets("能给多少") == ["amount"] and asked_facets("截止到啥时候") == ["until"]
    assert asked_facets("那怎么申请") == ["how"] and asked_facets("见习补贴是什么") == []
    assert asked_facets("要交多久失业保险") == ["who"]  # a condition of who qualifies, not an amount
    assert "phone" not in asked_facets("区里打电话问了我一堆情况") and "phone" not in asked_facets("他们打电话来说我没就业")  # they phoned
    assert "phone" in asked_facets("有电话吗")
    assert asked_facets("谁可以参加") == ["who"] and asked_facets("是发给我个人吗") == ["recipient"]
    assert "until" not in asked_facets("剩余期限的见习补贴给谁")  # the subsidy's own name, no deadline asked
    assert asked_facets("是不是得企业自己跑到区里去申请") == ["how"]  # whoever goes, how it is applied for
    assert asked_facets("钱打到哪？") == ["recipient"] and asked_facets("顺义谁管大学生见习") == ["where"]
    assert asked_facets("那我这种情况可以打哪个电话问问？") == ["phone"]  # a number to call, not who is paid


def test_retrieval_costs_well_under_three_milliseconds_a_question() -> None:
    kb = load_kb()
    kb.units.search("预热")
    started = time.perf_counter()
    for _ in range(200):
        kb.units.search("我是困难家庭的毕业生有什么帮扶")
    assert (time.perf_counter() - started) / 200 < 0.003


def test_a_situation_relating_to_no_entry_names_file_entry_and_field(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "situations.yml", "related: [hardship_support, realname_service]", "related: [hardship_support, no_such_policy]"))
    assert "situations.yml: situations entry 'hardship_family': field 'related.1': no policy or measure 'no_such_policy'" in text


def test_a_situation_without_an_answer_names_file_entry_and_field(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "situations.yml", "    answer: 暂无就业意愿的", "    anwser: 暂无就业意愿的"))
    assert "situations.yml: situations entry 'no_wish_yet' (#7): field 'answer': field required" in text


def test_an_english_text_for_no_unit_names_file_entry_and_field(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "english.yml", "  - unit: policy:traineeship#what", "  - unit: policy:traineeship#colour"))
    assert "english.yml: english entry 'policy:traineeship#colour'" in text and "field 'unit': no such answer unit" in text


def test_a_fact_citing_an_unknown_report_names_file_entry_and_field(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "situations.yml", "sources: [通知 五（一）, 通知 五（八）, 北京20条措施报道（2022年6月）]", "sources: [通知 五（一）, 某报道]"))
    assert "situations entry 'disabled_graduate': field 'sources.1': unknown source '某报道'" in text


def test_details_are_units_reached_by_the_ways_graduates_ask_them() -> None:
    kb = load_kb()
    cases = {
        "这个通知的文号是多少": "detail:notice_doc_number",
        "京政办发20号文件哪天开始施行": "detail:jingzhengbanfa_20",
        "你们怎么知道我没就业的，数据哪来的": "detail:data_origin",
        "12333怎么转人工": "detail:hotline_12333_person",
    }
    for question, unit in cases.items():
        hits = kb.units.search(question, limit=2)
        assert hits[0].unit.id == unit, (question, [h.unit.id for h in hits])
        assert hits[0].score >= 1.2 * hits[1].score, question
    assert all(kb.units.by_id[unit].sources for unit in cases.values())


def test_asks_make_an_existing_unit_reachable_in_everyday_words() -> None:
    kb = load_kb()
    assert kb.units.search("哪些单位可以设见习岗位", limit=1)[0].unit.id == "measure:m5#1"
    assert "哪些单位可以设" in kb.units.by_id["measure:m5#1"].search or "设见习岗位" in kb.units.by_id["measure:m5#1"].search


def test_asks_for_no_unit_names_file_entry_and_field(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "asks.yml", "  - unit: faq:period", "  - unit: faq:no_such_question"))
    assert "asks.yml: asks entry 'faq:no_such_question' (#" in text and "field 'unit': no such answer unit" in text


def test_a_detail_citing_an_unknown_source_names_file_entry_and_field(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "details.yml", "    sources: [通知 导语]\n    asks: [通知文号", "    sources: [某报道]\n    asks: [通知文号"))
    assert "details.yml: details entry 'notice_doc_number': field 'sources.0': unknown source '某报道'" in text


def test_a_detail_without_an_answer_names_file_entry_and_field(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "details.yml", "    answer: 通知主送", "    anwser: 通知主送"))
    assert "details.yml: details entry 'notice_addressees' (#2): field 'answer': field required" in text


def test_a_situation_said_not_to_be_the_askers_is_not_found() -> None:
    kb = load_kb()
    assert [s.id for s in kb.situations_in("我家低保 有啥帮扶")] == ["hardship_family"]
    assert kb.situations_in("家里情况还行 不算困难家庭 那能有啥服务") == []
    assert kb.situations_in("我不是残疾人") == [] and kb.situations_in("家里不是低保户") == []
    # an A-not-A question is no negation
    assert [s.id for s in kb.situations_in("面试问我结没结婚 这算不算歧视")] == ["discrimination"]
    assert [s.id for s in kb.situations_in("我是不是困难家庭")] == ["hardship_family"]


def test_section_six_clauses_are_reached_by_everyday_words() -> None:
    kb = load_kb()
    cases = {"各区平时要往上报哪些东西": "detail:districts_reporting", "这次行动各区人社局要负什么责任": "detail:districts_duty"}
    for question, wanted in cases.items():
        assert kb.units.search(question, limit=1)[0].unit.id == wanted, question


def test_clauses_of_the_notice_reached_by_the_ways_graduates_ask() -> None:
    kb = load_kb()
    cases = {
        "交接过来的数据还要跟哪些部门对一下": "measure:m1#2", "数据比对完了会建个啥": "measure:m1#3",
        "区里摸底的时候会了解我哪些方面的信息": "measure:m8#1", "公开信是市里发还是区里发": "measure:m2#what",
        "金秋招聘月是北京自己办的还是人社部的": "measure:m7#1", "困難家庭畢業生的幫扶比例有要求嗎": "policy:hardship_support#what",
    }
    for question, wanted in cases.items():
        assert kb.units.search(kb.spelled(question), limit=1)[0].unit.id == wanted, question


def test_a_share_asked_is_the_entry_s_summary_not_an_amount_of_money() -> None:
    assert asked_facets("困难家庭帮扶比例多少") == ["what"]


def test_the_notices_work_requirements_are_section_six_not_the_citys_supervision() -> None:
    kb = load_kb()
    assert kb.units.search("各区要干啥 有啥工作要求", limit=1)[0].unit.id == "detail:districts_duty"
    assert kb.units.search("市里怎么检查各区", limit=1)[0].unit.id == "faq:supervision"
