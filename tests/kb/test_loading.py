"""The knowledge base loads, and every way of breaking a file is reported by file, entry and field."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from policy_kb import KBError, load_kb
from policy_kb.schema import Missing

ROOT = Path(__file__).resolve().parents[2]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_after(data_dir: Path, change: Callable[[Path], None]) -> str:
    change(data_dir)
    with pytest.raises(KBError) as caught:
        load_kb(data_dir)
    return "\n".join(caught.value.problems)


def test_shipped_knowledge_base_holds_every_part_of_the_notice() -> None:
    kb = load_kb()
    assert len(kb.measures) == 10
    assert {m.section for m in kb.measures.values()} == {f"五（{n}）" for n in "一二三四五六七八九十"}
    assert kb.notice.theme == "助力攻坚 成“就”未来"
    assert kb.notice.period.text == "2022年7月—12月"
    assert kb.notice.targets == ["2022届离校未就业高校毕业生", "35岁以下登记失业青年"]
    assert {"shebao_subsidy", "traineeship_subsidy", "expansion_subsidy"} <= set(kb.policies)
    assert len(kb.districts) == 17 and "北京经济技术开发区" in kb.districts
    assert len(kb.institutions) == 17 * 3


def test_every_entry_names_its_source_and_sample_entries_hold_no_contact_data() -> None:
    kb = load_kb()
    entries = [*kb.policies.values(), *kb.measures.values(), *kb.routes.values(), *kb.faq.values()]
    assert all(entry.sources for entry in entries)
    for inst in kb.institutions.values():
        assert inst.sample and inst.address is None and inst.phone is None and inst.hours is None


def test_unsourced_amounts_are_marked_missing_not_invented() -> None:
    kb = load_kb()
    assert isinstance(kb.policies["shebao_subsidy"].amount, Missing)
    assert isinstance(kb.policies["startup_support"].amount, Missing)
    # figures from news reports or the 2019 rule are said with their standing
    assert "以官方文件为准" in str(kb.policies["expansion_subsidy"].amount)
    assert "2019年" in str(kb.policies["traineeship_subsidy"].amount)
    assert kb.reported(kb.policies["jobseeking_subsidy"].sources) and not kb.reported(kb.policies["traineeship"].sources)


def test_bad_yaml_names_file_and_line(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "policies.yml", "  - id: traineeship\n", "  - id: [traineeship\n"))
    assert "policies.yml" in text and "line" in text and "invalid YAML" in text


def test_missing_field_names_entry_and_field(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "policies.yml", "    how_to_apply: 由见习单位向所在区人社局申请；各区对见习补贴等政策实施“直补快办”。\n", ""))
    assert "policies.yml: policies entry 'traineeship_subsidy' (#3): field 'how_to_apply': field required" in text


def test_wrong_type_names_the_nested_field(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "policies.yml", "{type: age_range, min: 16, max: 24,", "{type: age_range, min: 16, max: 二十四,"))
    assert "policies entry 'traineeship'" in text and "field 'eligibility.rules.1.max'" in text


def test_unknown_district_is_named(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "institutions.yml", "{district: 海淀区, kind: talent", "{district: 海淀市, kind: talent"))
    assert "institutions.yml: institutions entry '海淀市/talent'" in text and "field 'district': unknown district '海淀市'" in text


def test_unknown_kind_is_named(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "institutions.yml", "{district: 海淀区, kind: talent", "{district: 海淀区, kind: library"))
    assert "institutions.yml: institutions entry '海淀区/library' (#" in text and "field 'kind'" in text


def test_sample_entry_with_a_phone_is_rejected(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "institutions.yml", "name: 海淀区人才服务机构, sample: true}", "name: 海淀区人才服务机构, sample: true, phone: '010-12345678'}"))
    assert "institutions entry '海淀区/talent' (#17): field 'phone': a sample entry may not hold contact data" in text


def test_verified_entry_without_sources_is_rejected(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "institutions.yml", "name: 海淀区人才服务机构, sample: true}", "name: 海淀区人才服务机构, sample: false, address: x, phone: '1', hours: y}"))
    assert "field 'sources': a verified entry (sample: false) needs sources" in text


def test_citation_of_a_section_the_notice_lacks(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "faq.yml", "sources: [通知 二]", "sources: [通知 十一]"))
    assert "faq.yml: faq entry 'theme': field 'sources.0': the notice has no section '十一'" in text


def test_unknown_document_source(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "faq.yml", "sources: [通知 二]", "sources: [某网站]"))
    assert "field 'sources.0': unknown source '某网站'" in text


def test_unknown_field_is_a_typo_not_a_gap(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "faq.yml", "  - key: theme\n", "  - key: theme\n    anwser: 拼错\n"))
    assert "faq entry 'theme'" in text and "field 'anwser': extra fields not permitted" in text


def test_alias_naming_two_entries(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "policies.yml", "aliases: [见习补助,", "aliases: [扩岗补贴, 见习补助,"))
    assert "'扩岗补贴' already names 'policy:" in text


def test_duplicate_id(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: edit(d / "faq.yml", "  - key: goal\n", "  - key: theme\n"))
    assert "faq entry 'theme'" in text and "duplicate id 'theme'" in text


def test_missing_file(data_dir: Path) -> None:
    text = problems_after(data_dir, lambda d: (d / "measures.yml").unlink())
    assert "measures.yml: file is missing" in text


def test_every_problem_is_reported_at_once(data_dir: Path) -> None:
    def two_breaks(d: Path) -> None:
        edit(d / "faq.yml", "sources: [通知 二]", "sources: [通知 十一]")
        edit(d / "institutions.yml", "{district: 海淀区, kind: talent", "{district: 海淀市, kind: talent")

    text = problems_after(data_dir, two_breaks)
    assert "十一" in text and "海淀市" in text


def test_check_command_reports_ok_and_fails_on_broken_data(data_dir: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "policy_kb", "check"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0 and "OK" in ok.stdout
    edit(data_dir / "institutions.yml", "{district: 海淀区, kind: talent", "{district: 海淀市, kind: talent")
    bad = subprocess.run([sys.executable, "-m", "policy_kb", "--data", str(data_dir), "check"], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 1 and "unknown district '海淀市'" in bad.stderr
