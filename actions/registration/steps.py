"""The registration's questions, in the order asked: label, question, parser, choices offered
as buttons, whether it may be skipped, and when it applies."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

from actions.knowledge import kb
from actions.registration import parse as P
from ledger import fields as F
from ledger.model import Registration


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    question: str
    parser: P.Parser
    choices: Callable[[], Sequence[str]] = lambda: ()
    optional: bool = False
    multi: bool = False
    applies: Callable[[Registration], bool] = lambda reg: True

    def options(self) -> P.Options:
        return P.Options(choices=list(self.choices()))


def _districts() -> List[str]:
    return list(kb().districts)


def _seeking(reg: Registration) -> bool:
    return reg.status not in F.NO_JOB_SEARCH


STEPS: List[Step] = [
    Step("name", "姓名", "请问你的姓名？（实名登记，请填写身份证上的姓名）", P.parse_name),
    Step("phone", "手机号", "你的手机号是多少？工作人员会用它联系你。", P.parse_phone),
    Step("id_number", "身份证号", "身份证号（选填：核实身份、办理补贴时会用到；不想填请回复“跳过”）", P.parse_id_number, optional=True),
    Step("school", "毕业学校", "你是哪所学校毕业的？", P.parse_school),
    Step("major", "专业", "所学专业是？", P.parse_major),
    Step("degree", "学历", "你的学历是？", P.parse_degree, choices=lambda: F.DEGREES),
    Step("grad_year", "毕业年份", "哪一年毕业的？（如 2022）", P.parse_grad_year),
    Step("birth_year", "年龄", "你的年龄或出生年份？（如“23”或“1999年”）", P.parse_age),
    Step("district", "居住区", "你现在住在北京哪个区？", P.parse_district, choices=_districts),
    Step("status", "就业状态", "你目前的就业状态是？", P.parse_status, choices=lambda: F.STATUSES),
    Step("intention", "求职意向", "想找什么样的工作？说说岗位类型或行业（如“软件开发”“行政文员”），不限请回复“不限”。", P.parse_intention, applies=_seeking),
    Step("preferred_districts", "意向工作区域", "希望在哪些区工作？可以说多个（如“海淀、朝阳”），不限请回复“不限”。", P.parse_preferred_districts, choices=_districts, multi=True, applies=_seeking),
    Step("services", "需要的服务", "需要哪些就业服务？可以多选（如“1 3”），都不需要请回复“不需要”。", P.parse_services, choices=lambda: list(F.SERVICES.values()), multi=True),
    Step("difficulty", "困难家庭", "是否属于以下困难家庭情形？（选填，用于优先帮扶；不想回答请回复“跳过”）", P.parse_difficulty,
         choices=lambda: F.DIFFICULTY_KINDS + [P.NO_DIFFICULTY], optional=True),
]
BY_KEY = {step.key: step for step in STEPS}

# Words that name a field, for corrections ("手机号填错了", "改一下学校").
FIELD_WORDS: List[tuple[str, str]] = [
    ("身份证", "id_number"), ("证件号", "id_number"),
    ("手机", "phone"), ("电话", "phone"), ("号码", "phone"),
    ("phone", "phone"), ("mobile", "phone"), ("id card", "id_number"), ("id number", "id_number"),
    ("姓名", "name"), ("名字", "name"),
    ("学校", "school"), ("院校", "school"),
    ("专业", "major"), ("学历", "degree"),
    ("毕业年", "grad_year"), ("毕业时间", "grad_year"), ("哪年毕业", "grad_year"), ("届", "grad_year"),
    ("年龄", "birth_year"), ("岁数", "birth_year"), ("出生", "birth_year"),
    ("意向区", "preferred_districts"), ("工作区域", "preferred_districts"), ("工作地点", "preferred_districts"), ("想去的区", "preferred_districts"),
    ("居住", "district"), ("住的", "district"), ("住址", "district"), ("所在区", "district"), ("住在", "district"),
    ("就业状态", "status"), ("状态", "status"),
    ("求职意向", "intention"), ("意向", "intention"), ("想找的工作", "intention"),
    ("服务", "services"), ("需求", "services"),
    ("困难", "difficulty"),
]


def field_named(text: str) -> Optional[str]:
    t = P.clean(text).lower()
    for word, key in FIELD_WORDS:
        if word in t:
            return key
    return None


def display(step: Step, reg: Registration) -> str:
    """A field's value as the graduate sees it in the summary (phone and ID masked)."""
    value = getattr(reg, step.key)
    if step.key == "phone":
        return reg.masked_phone or "未填写"
    if step.key == "id_number":
        return reg.masked_id_number or "未填写"
    if step.key == "birth_year":
        return f"{reg.age()}岁（{value}年出生）" if value else "未填写"
    if step.key == "services":
        return "、".join(reg.service_labels()) or "暂不需要"
    if step.key == "preferred_districts":
        return "、".join(value) or "未填写"
    if step.key == "difficulty":
        if value is None:
            return "未回答"
        return reg.difficulty_kind or "是" if value else "不属于"
    if step.key == "grad_year":
        return f"{value}年" if value else "未填写"
    return str(value) if value not in (None, "") else "未填写"
