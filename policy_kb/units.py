"""Answer units: the smallest answerable pieces of the knowledge base, each with its source.

A policy splits into one unit per field a graduate asks about (what it is, who gets the money, who
qualifies, what they get, how much, how and where to apply, until when, materials); a measure into
its summary and one unit per clause; a help route, a FAQ entry and a situation (“I am X”, a rights
problem) are one unit each. Units are built with the knowledge base (start-up and every reload)
and searched by policy_kb/retrieval.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from policy_kb import schema
from policy_kb.text import normalize_chars

# facet → how the graduate asks for it (the first match in a message wins its facet)
FACET_CUES: Dict[str, str] = {
    "materials": r"材料|带什么|带啥|证件|证明|准备什么|准备啥|要哪些东西|documents?",
    "amount": r"多少钱|多少|几块|几千|金额|标准|补多少|给多少|能拿多少|能领多少|能补|额度|几次|多久|几个月|多长时间|几年|how much|amount",
    "recipient": r"发给谁|给谁|给单位|给个人|给我个人|发给我|打给我|给我还是|打给|到谁|发到|钱给|打到哪|钱打哪|钱到哪",
    "until": r"什么时候截止|截止|到什么时候|来得及|赶得上|赶得及|到啥时候|到几月|(?<!剩余)期限|有效期|什么时候结束|还能申请吗|过期|deadline|until when",
    "how": r"怎么申请|如何申请|咋领|怎么领取|如何领取|要申请吗|需要申请|自己申请|自己去申请|用不用申请|咋弄|咋整|咋办理|怎么办理|如何办理|怎么报名|如何报名|咋申请|咋报|申请流程|办理流程|流程|怎么领|怎么拿|手续|怎么弄|怎么参加|如何参加|怎么享受|怎么用|要去申请|得去申请|去申请|跑[^，。？?]{0,8}申请|要不要申请|申请吗|自动(?:发|打|拨|到账)|how (do|can) i apply|how to apply|(?:have|need) to apply|paid automatically|automatically|how (?:do|can) (?:i|we) (?:claim|sign up|get it)",
    "where": r"在哪|去哪|哪里|哪儿|什么地方|地址|哪个部门|找谁|找哪|哪办|放哪|存哪|转哪|交哪|谁管|归谁管|谁负责|where",
    "benefit": r"有什么好处|能得到什么|一起拿|同时拿|一起领|同时领|一块儿?拿|一块儿?领|一块儿?享受|都能领|都拿|都领|能都|两个都|一起享受|同时享受|叠加|兼得|重复享受|利息|贴息|免费|怎么帮|咋帮|如何帮|帮什么|帮啥|帮法",
    "who": r"谁能|谁可以|谁有资格|给谁的|哪些人|什么人|条件|对象|资格|要求|适用|符合|哪些算|什么算|啥算|哪种算|什么样的算|(?:什么样|啥样|哪样)的(?:企业|单位|公司|人|家庭)|(?:哪些|哪种|哪类)家庭|哪类(?:企业|单位|公司|人)|哪种(?:企业|单位|公司|人)|怎样才算|怎么才算|认定|who can|who receives|who gets|eligib|can i (?:still )?(?:join|apply|take part)|do i qualify|qualif",
    "phone": r"(?<!给我打)(?<!打了)(?<!打过)(?<!打来)电话(?!问|来|找我|给我|过来|说)|热线|联系方式|号码多少|怎么联系|哪个电话|什么电话|啥电话|phone|call",
}
_CUES = {facet: re.compile(pattern, re.IGNORECASE) for facet, pattern in FACET_CUES.items()}
FACET_TITLES = {
    "what": "是什么", "recipient": "发给谁", "who": "谁能享受", "benefit": "能得到什么", "amount": "标准/金额",
    "how": "怎么申请", "where": "去哪办", "until": "截止时间", "materials": "要带什么材料",
}
# a field asked as a question the graduate could type (button payloads, which the router answers)
FACET_QUESTIONS = {
    "what": "是什么", "recipient": "发给谁", "who": "谁能享受", "benefit": "能得到什么", "amount": "多少钱",
    "how": "怎么申请", "where": "去哪办", "until": "到什么时候", "materials": "要带什么材料",
}
NO_MATERIALS = "通知没有列出需要的材料，北京的具体要求未核实；办理前可拨打12333或问所在区人社局"


@dataclass(frozen=True)
class Unit:
    id: str  # 'policy:traineeship#amount', 'measure:m5#2', 'route:hotline_12333', 'faq:period' …
    topic: str  # the entry it belongs to: 'policy:traineeship', 'measure:m5', …
    facet: str  # 'what', 'who', 'amount', … for policies; 'point' for a clause; 'entry' otherwise
    title: str  # a short label for a button
    question: str  # what a button sends to reach this unit again
    text: str  # the answer, one to three sentences, Chinese
    sources: Tuple[str, ...]
    missing: bool = False  # the fact itself is not known: the text says so
    search: str = ""  # what retrieval matches the question against
    en: Optional[str] = None  # the English answer, where the knowledge base has one
    en_search: str = ""
    asks: Tuple[str, ...] = ()  # the ways graduates ask for it, each matched on its own (policy_kb/retrieval.py)
    en_asks: Tuple[str, ...] = ()  # the English keywords and questions, each matched on its own too


def asked_facets(text: str) -> List[str]:
    """The fields of a policy a message asks for, e.g. '在哪报名，要带什么' → ['materials', 'where']."""
    folded = normalize_chars(text)
    facets = [facet for facet, cue in _CUES.items() if cue.search(folded)]
    if _INSURANCE_LENGTH.search(folded):  # “要交多久失业保险”: a condition of who qualifies, not an amount
        return ["who"]
    if _CONTRACT_LENGTH.search(folded):  # “要签多久的合同”: whichever field speaks of the contract, not an amount
        return [facet for facet in facets if facet != "amount"]
    if _HEADCOUNT.search(folded) or _SHARE.search(folded):  # “每年招多少人”: the entry's summary, not an amount of money
        return ["what"]
    return facets


_INSURANCE_LENGTH = re.compile(r"(?:交|缴|缴纳)(?:了)?(?:多久|几个月|多长时间|多少个月|半个月|不到一个月|不到1个月|几天)|(?:交|缴|缴纳)(?:失业保险|社保|保险)(?:要)?(?:多久|几个月|多长时间)")
_CONTRACT_LENGTH = re.compile(r"签多久|签几年|多长的合同|合同.{0,3}(?:多久|几年|多长)")
_HEADCOUNT = re.compile(r"多少人|几个人|多少名|招多少|招了多少|招了几|名额")
_SHARE = re.compile(r"比例|百分之|覆盖率|帮扶率|\d+\s*[%％]")  # “帮扶比例多少”: a share the entry states, not an amount of money


def fact_text(value: Optional[schema.Fact]) -> Tuple[str, bool]:
    """A fact as a sentence, and whether it is missing."""
    if value is None:
        return "", True
    if isinstance(value, schema.Missing):
        return value.missing, True
    return value, False


def policy_units(policy: schema.Policy) -> List[Unit]:
    names = " ".join([policy.name, *policy.aliases])
    topic = f"policy:{policy.id}"
    fields: List[Tuple[str, Optional[schema.Fact]]] = [
        ("what", policy.summary), ("recipient", policy.recipient), ("who", policy.who),
        ("benefit", policy.benefit), ("amount", policy.amount), ("how", policy.how_to_apply),
        ("where", policy.where), ("until", policy.until),
        ("materials", policy.materials if policy.materials is not None else schema.Missing(missing=NO_MATERIALS)),
    ]
    units = []
    for facet, value in fields:
        if value is None:
            continue
        text, missing = fact_text(value)
        units.append(Unit(
            id=f"{topic}#{facet}", topic=topic, facet=facet, title=f"{policy.name}{FACET_QUESTIONS[facet]}",
            question=f"{policy.name}{FACET_QUESTIONS[facet]}", text=text,
            sources=tuple(policy.sources), missing=missing,
            # names only on the summary: retrieval runs when no entry is named, where they are noise
            search=f"{names} {names} {text}" if facet == "what" else f"{FACET_TITLES[facet]} {text}",
        ))
    return units


def measure_units(measure: schema.Measure) -> List[Unit]:
    names = " ".join([measure.name, measure.title, measure.section, *measure.aliases])
    topic = f"measure:{measure.id}"
    units = [Unit(
        id=f"{topic}#what", topic=topic, facet="what", title=measure.name, question=measure.name, text=measure.summary,
        sources=tuple(measure.sources), search=f"{names} {names} {measure.summary}",
    )]
    for number, point in enumerate(measure.points, start=1):
        units.append(Unit(
            id=f"{topic}#{number}", topic=topic, facet="point", title=_short(point), question=point, text=point,
            sources=tuple(measure.sources), search=f"{measure.name} {measure.title} {point}",
        ))
    return units


def route_unit(route: schema.Route) -> Unit:
    parts = [f"{route.name}：{route.summary}"]
    if route.url:
        parts.append(f"网址：{route.url}")
    if route.phone:
        parts.append(f"电话：{route.phone}")
    how, missing = fact_text(route.how) if route.how is not None else ("", False)
    if how:
        parts.append(how)
    if route.offers:
        parts.append(f"可以办：{'、'.join(route.offers)}")
    names = " ".join([route.name, *route.aliases])
    return Unit(
        id=f"route:{route.id}", topic=f"route:{route.id}", facet="entry", title=route.name, question=route.name,
        text="；".join(parts), sources=tuple(route.sources), missing=missing,
        search=f"{names} {names} {route.summary} {how} {' '.join(route.offers)}",
    )


def faq_unit(entry: schema.FaqEntry) -> Unit:
    return Unit(
        id=f"faq:{entry.key}", topic=f"faq:{entry.key}", facet="entry", title=entry.question.rstrip("？?"), question=entry.question,
        text=entry.answer, sources=tuple(entry.sources), search=f"{entry.question} {entry.question} {entry.answer}",
    )


def situation_unit(situation: schema.Situation) -> Unit:
    names = " ".join([situation.name, *situation.aliases])
    return Unit(
        id=f"situation:{situation.id}", topic=f"situation:{situation.id}", facet="entry", title=situation.name,
        question=f"{situation.name}有什么帮助",
        text=situation.answer, sources=tuple(situation.sources), search=f"{names} {names} {situation.answer}",
    )


def detail_unit(detail: schema.Detail) -> Unit:
    return Unit(
        id=f"detail:{detail.id}", topic=f"detail:{detail.id}", facet="entry", title=detail.question.rstrip("？?"),
        question=detail.question, text=detail.answer, sources=tuple(detail.sources),
        search=f"{detail.question} {detail.question} {' '.join(detail.asks)} {detail.answer}", asks=tuple(detail.asks),
    )


def _short(text: str, length: int = 14) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def build_units(
    policies: Iterable[schema.Policy], measures: Iterable[schema.Measure], routes: Iterable[schema.Route],
    faq: Iterable[schema.FaqEntry], situations: Iterable[schema.Situation], details: Iterable[schema.Detail],
    asks: Sequence[schema.Asks], english: Sequence[schema.EnglishText],
) -> Tuple[Dict[str, Unit], List[Tuple[str, str]]]:
    """Every unit by id, with the everyday ways of asking for it and its English text attached;
    the asks and English entries naming no unit are returned as problems (file, entry)."""
    units: List[Unit] = []
    for policy in policies:
        units += policy_units(policy)
    for measure in measures:
        units += measure_units(measure)
    units += [route_unit(r) for r in routes]
    units += [faq_unit(f) for f in faq]
    units += [situation_unit(s) for s in situations]
    units += [detail_unit(d) for d in details]
    by_id = {u.id: u for u in units}
    unknown: List[Tuple[str, str]] = []
    for number, ways in enumerate(asks, start=1):
        unit = by_id.get(ways.unit)
        if unit is None:
            unknown.append(("asks.yml", f"asks entry '{ways.unit}' (#{number})"))
            continue
        # twice, as names are: the ways graduates ask weigh as much as the entry's own words
        by_id[unit.id] = replace(unit, search=f"{unit.search} {' '.join(ways.asks)} {' '.join(ways.asks)}", asks=unit.asks + tuple(ways.asks))
    for number, entry in enumerate(english, start=1):
        unit = by_id.get(entry.unit)
        if unit is None:
            unknown.append(("english.yml", f"english entry '{entry.unit}' (#{number})"))
            continue
        by_id[unit.id] = _with_english(unit, entry)
    return by_id, unknown


def _with_english(unit: Unit, entry: schema.EnglishText) -> Unit:
    return replace(unit, en=entry.text, en_search=" ".join([entry.text, *entry.keywords, *entry.keywords, *entry.keywords]),
                   en_asks=tuple(entry.keywords))
