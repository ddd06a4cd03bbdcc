"""The registration's field parsers: what is accepted, normalised, and re-asked."""
from __future__ import annotations

from datetime import date

import pytest

from actions.registration import parse as P
from ledger import fields as F

TODAY = date(2026, 11, 26)
OPTS = P.Options(today=TODAY)


def valid_id(first17: str = "11010819990307123") -> str:
    return first17 + F.id_check_digit(first17)


@pytest.mark.parametrize("text", ["13912345678", "139 1234 5678", "139-1234-5678", "+86 139 1234 5678", "１３９１２３４５６７８", "手机13912345678",
                                  "139.1234.5678", "139–1234–5678", "139—1234—5678", "１３９－１２３４－５６７８", "139 1234-5678",
                                  "手机139 1234 5678，谢谢", "一三九一二三四五六七八", "0086 139 1234 5678"])
def test_phone_numbers_in_everyday_forms(text: str) -> None:
    assert P.parse_phone(text, OPTS) == "13912345678"


@pytest.mark.parametrize("text", ["1391234567", "139123456789", "23912345678", "12012345678", "电话不告诉你", "😀😀", "13912345678" * 200])
def test_wrong_phone_numbers_are_reasked_with_the_rule(text: str) -> None:
    problem = P.parse_phone(text, OPTS)
    assert isinstance(problem, P.Problem)
    assert "11位数字，以1开头" in problem.hint


def test_id_number_checksum_and_birth_date() -> None:
    good = valid_id()
    assert P.parse_id_number(good, OPTS) == good
    assert P.parse_id_number(good.lower() if good.endswith("X") else good, OPTS) == good
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    assert isinstance(P.parse_id_number(wrong_check, OPTS), P.Problem)
    bad_date = valid_id("11010819991332123")  # month 13
    assert isinstance(P.parse_id_number(bad_date, OPTS), P.Problem)
    assert isinstance(P.parse_id_number("跳过", OPTS), P.Skipped)
    for written in (f"{good[:6]} {good[6:10]} {good[10:14]} {good[14:]}", f"{good[:6]}-{good[6:14]}-{good[14:]}",
                    f"{good[:6]}–{good[6:14]}–{good[14:]}", "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in good)):
        assert P.parse_id_number(written, OPTS) == good, written


@pytest.mark.parametrize("text, name", [("王芳", "王芳"), ("我叫李明", "李明"), ("姓名：欧阳娜娜", "欧阳娜娜"),
                                        ("阿依古丽·买买提", "阿依古丽·买买提"), ("Li Lei", "Li Lei")])
def test_names(text: str, name: str) -> None:
    assert P.parse_name(text, OPTS) == name


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "Robert'); DROP TABLE registrations;--", "王芳123", "😀", "你好",
                                  "社保补贴怎么领？", "王" * 30, ""])
def test_names_that_are_not_names_are_reasked(text: str) -> None:
    assert isinstance(P.parse_name(text, OPTS), P.Problem)


def test_years_and_ages() -> None:
    assert P.parse_grad_year("2022", OPTS) == 2022
    assert P.parse_grad_year("22届", OPTS) == 2022
    assert P.parse_grad_year("去年毕业的", OPTS) == 2025
    assert isinstance(P.parse_grad_year("2035", OPTS), P.Problem)
    assert isinstance(P.parse_grad_year("明天", OPTS), P.Problem)
    assert P.parse_age("23", OPTS) == 2003
    assert P.parse_age("二十三岁", OPTS) == 2003
    assert P.parse_age("1999", OPTS) == 1999
    assert P.parse_age("99年的", OPTS) == 1999
    assert isinstance(P.parse_age("200", OPTS), P.Problem)
    assert isinstance(P.parse_age("8", OPTS), P.Problem)


def test_enumerations_by_name_synonym_or_number() -> None:
    degrees = P.Options(choices=F.DEGREES, today=TODAY)
    assert P.parse_degree("大专", degrees) == "专科"
    assert P.parse_degree("研究生", degrees) == "硕士"
    assert P.parse_degree("4", degrees) == "本科"
    assert isinstance(P.parse_degree("9", degrees), P.Problem)
    statuses = P.Options(choices=F.STATUSES, today=TODAY)
    assert P.parse_status("还没找到工作", statuses) == "未就业"
    assert P.parse_status("在送外卖", statuses) == "灵活就业"
    assert P.parse_status("准备考研", statuses) == "暂无就业意愿"
    assert P.parse_status("已经上班了", statuses) == "已就业"


def test_services_multi_select() -> None:
    assert P.parse_services("1 3", OPTS) == ["guidance", "training"]
    assert P.parse_services("推荐工作和培训", OPTS) == ["recommendation", "training"]
    assert P.parse_services("都要", OPTS) == list(F.SERVICES)
    assert P.parse_services("不需要", OPTS) == []
    assert isinstance(P.parse_services("7", OPTS), P.Problem)


def test_districts_by_alias_and_number() -> None:
    choices = P.Options(choices=["东城区", "西城区", "朝阳区"], today=TODAY)
    assert P.parse_district("海淀", choices) == "海淀区"
    assert P.parse_district("住在亦庄", choices) == "北京经济技术开发区"
    assert P.parse_district("2", choices) == "西城区"
    assert isinstance(P.parse_district("上海", choices), P.Problem)
    assert P.parse_preferred_districts("海淀、朝阳都行", choices) == ["海淀区", "朝阳区"]
    assert P.parse_preferred_districts("不限", choices) == ["不限"]


def test_free_text_limits() -> None:
    assert P.parse_school("我是北京工业大学毕业的", OPTS) == "北京工业大学"
    long = P.parse_school("北" * 2000, OPTS)
    assert isinstance(long, P.Problem) and "太长" in long.hint
    assert isinstance(P.parse_major("😀😀", OPTS), P.Problem)
    assert P.parse_intention("不限", OPTS) == "不限"


def test_several_values_in_one_message() -> None:
    found = P.extract_all("我叫王芳，手机13912345678", TODAY)
    assert found == {"name": "王芳", "phone": "13912345678"}
    found = P.extract_all("北京工业大学本科，2022年毕业，学的是会计专业，住在海淀", TODAY)
    assert found == {"school": "北京工业大学", "degree": "本科", "grad_year": 2022, "major": "会计", "district": "海淀区"}
    id_number = valid_id()
    assert P.extract_all(f"身份证{id_number}", TODAY) == {"id_number": id_number, "birth_year": 1999}
