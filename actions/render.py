"""Answer texts composed from knowledge-base entries. Every answer ends with its sources; a
missing fact is said to be missing; a sample entry is said to be sample data."""
from __future__ import annotations

from typing import List, Optional, Sequence

from policy_kb import KnowledgeBase, schema
from policy_kb.eligibility import Decision
from policy_kb.units import FACET_TITLES, Unit, fact_text

MISSING = "暂无可核实的信息"


def fact(value: Optional[schema.Fact]) -> str:
    if value is None:
        return MISSING
    if isinstance(value, schema.Missing):
        return f"{MISSING}（{value.missing}）"
    return value


def sources_line(kb: KnowledgeBase, sources: Sequence[str]) -> str:
    return f"来源：{kb.cite(list(sources))}"


def policy_answer(kb: KnowledgeBase, policy: schema.Policy) -> str:
    """What it is and how much, in two or three lines; the other fields are a button away. A
    missing amount is said once, not field by field."""
    lines = [f"【{policy.name}】{policy.summary}"]
    recipient, unknown = fact_text(policy.recipient)
    if policy.kind == "subsidy" and not unknown and recipient not in policy.summary:
        lines.append(f"发给：{recipient}")
    if policy.amount is not None:
        amount, missing = fact_text(policy.amount)
        lines.append(f"标准：{amount}" + (f"。{ASK_INSTEAD}" if missing else caveat(kb, policy.sources, amount)))
    lines.append(sources_line(kb, policy.sources))
    return "\n".join(lines)


ASK_INSTEAD = "可拨打12333或问所在区人社局"
REPORTED = "（据公开报道，以官方文件为准）"


def caveat(kb: KnowledgeBase, sources: Sequence[str], text: str) -> str:
    """The standing of a fact resting on a news report or an older rule, unless the text says it."""
    if kb.reported(list(sources)) and not any(word in text for word in ("报道", "以官方", "2019年")):
        return REPORTED
    return ""


def cited(kb: KnowledgeBase, sources: Sequence[str], text: str) -> List[str]:
    """The sources a field rests on: an entry's news reports and older rules back only the fields
    that say so (“据公开报道”, “2019年”), so a field that does not is cited without them."""
    if any(word in text for word in ("报道", "以官方", "2019年", "最低工资")) or kb.reported(list(sources)):
        return list(sources)
    return [s for s in sources if s not in kb.documents or kb.documents[s].standing not in ("report", "rule_2019")]


def units_answer(kb: KnowledgeBase, units: Sequence[Unit], heading: str) -> str:
    """One to three sentences answering the question, then the sources of what was said."""
    lines = []
    sources: List[str] = []
    for unit in units:
        label = f"{heading}·{FACET_TITLES[unit.facet]}" if unit.facet in FACET_TITLES and unit.facet != "what" else heading
        if unit.topic != units[0].topic:
            label = unit.title
        text = unit.text.rstrip("。")
        if unit.missing and "12333" not in text:
            text += f"。{ASK_INSTEAD}"
        lines.append(f"【{label}】{text}。{caveat(kb, unit.sources, unit.text)}")
        sources += [s for s in cited(kb, unit.sources, unit.text) if s not in sources]
    lines[-1] += f"（{sources_line(kb, sources)}）"  # the source right after what it backs: one line less
    return "\n".join(lines)


def situation_answer(kb: KnowledgeBase, situation: schema.Situation) -> str:
    return f"{situation.answer}（{sources_line(kb, situation.sources)}）"


def measure_answer(kb: KnowledgeBase, measure: schema.Measure) -> str:
    """The measure's summary; each clause is an answer unit of its own, reached by asking about it."""
    return f"【{measure.section} {measure.title}】{measure.summary}\n{sources_line(kb, measure.sources)}"


def numbered(items: Sequence[str]) -> str:
    return "\n".join(f"{n}. {item}" for n, item in enumerate(items, start=1))


def policy_list(kb: KnowledgeBase) -> str:
    """One line: the policies themselves are the buttons (numbered where a channel has none)."""
    return f"就业创业政策清单共{len(kb.policies)}项，点下面的名称（或回复序号）看详情。\n{sources_line(kb, ['通知 五（二）', '通知 五（三）'])}"


def measure_list(kb: KnowledgeBase) -> str:
    period = kb.notice.period.text
    return f"这次攻坚行动（{period}）有{len(kb.measures)}项主要措施，点下面的名称（或回复序号）看详情。\n{sources_line(kb, ['通知 五'])}"


def route_line(route: schema.Route) -> str:
    contact = route.url or (f"电话 {route.phone}" if route.phone else None)
    if not contact and route.how is not None:
        contact = "具体入口未核实" if isinstance(route.how, schema.Missing) else fact(route.how)
    return route.name + (f"：{contact}" if contact else "")  # what each is: a tap on its button


def route_answer(kb: KnowledgeBase, route: schema.Route) -> str:
    lines = [f"【{route.name}】{route.summary}"]
    if route.url:
        lines.append(f"· 网址：{route.url}")
    if route.phone:
        lines.append(f"· 电话：{route.phone}")
    if route.offers:
        lines.append(f"· 可以办：{'、'.join(route.offers)}")
    if route.how is not None:
        lines.append(f"· 怎么用：{fact(route.how)}")
    lines.append(sources_line(kb, route.sources))
    return "\n".join(lines)


def routes_list(kb: KnowledgeBase, category: str, heading: str, extra: Optional[schema.Measure] = None) -> str:
    """The routes of one category, numbered; `extra` adds a measure's summary (e.g. the job fairs)."""
    routes = kb.routes_for(category)
    sources = [s for r in routes for s in r.sources] + (list(extra.sources) if extra else [])
    body = "\n".join(f"{n}. {route_line(r)}" for n, r in enumerate(routes, start=1))
    more = f"\n另外，攻坚行动期间的招聘活动：{extra.summary}" if extra else ""
    return f"{heading}\n{body}{more}\n{sources_line(kb, list(dict.fromkeys(sources)))}"


SAMPLE_WARNING = "⚠️ 示例条目：地址、电话、办公时间未核实。"


def institution_answer(kb: KnowledgeBase, district: str, kinds: List[schema.InstitutionKind]) -> str:
    entries = [(k, kb.institution(district, k.id)) for k in kinds]
    lines: List[str] = []
    if any(inst is None or inst.sample for _, inst in entries):
        lines.append(SAMPLE_WARNING)
    for kind, inst in entries:
        lines.append(_institution_block(district, kind, inst))
    lines.append(_verified_routes(kb))
    lines.append(sources_line(kb, _institution_sources(entries)))
    return "\n".join(lines)


def _institution_block(district: str, kind: schema.InstitutionKind, inst: Optional[schema.Institution]) -> str:
    if inst is None:
        return f"【{district}{kind.name}】名录中还没有这一条。"
    lines = [f"【{inst.name}】负责：{kind.handles}"]
    if not inst.sample:
        lines += [f"· 地址：{fact(inst.address)}", f"· 电话：{fact(inst.phone)}", f"· 办公时间：{fact(inst.hours)}"]
        if inst.website:
            lines.append(f"· 网址：{inst.website}")
    return "\n".join(lines)


def _verified_routes(kb: KnowledgeBase) -> str:
    platform = kb.routes["bj_graduate_platform"]
    return f"查询办理：拨打12333或上{platform.name}（回复“服务平台”看网址）"


def _institution_sources(entries: list) -> List[str]:
    sources: List[str] = []
    for kind, inst in entries:
        sources += list(kind.sources) + (list(inst.sources) if inst and not inst.sample else [])
    if any(inst is None or inst.sample for _, inst in entries):
        sources.append("示例数据（待替换为官方名录）")
    return list(dict.fromkeys(sources))


def eligibility_answer(kb: KnowledgeBase, subject: str, decision: Decision, sources: Sequence[str]) -> str:
    lines = [f"关于「{subject}」："]
    if decision.outcome == "eligible":
        rule = decision.deciding[0]
        lines[0] += f"✅ 你符合条件。依据「{rule.rule.label}」：{rule.reason}。"
    elif decision.outcome == "not_eligible":
        lines.append("❌ 按规定你不在范围内：")
        lines += [f"· 「{r.rule.label}」：{r.reason}" for r in decision.results]
        lines.append("其他就业帮扶可以拨打12333，或联系所在区人社局咨询。")
    elif decision.outcome == "need_facts":
        lines.append(_need_facts_text(decision))
    else:
        lines.append("这项政策没有可以按年龄或毕业年份判断的条件。")
    if decision.conditions and decision.outcome != "not_eligible":
        lines.append(f"另外还需满足：{'；'.join(decision.conditions)}。")
    # the rules are the documents' own (a news report's figures back amounts, not who qualifies)
    lines.append(sources_line(kb, cited(kb, sources, "\n".join(lines)) or list(sources)))
    return "\n".join(lines)


def _need_facts_text(decision: Decision) -> str:
    known = [r for r in decision.results if r.verdict.value == "not_met"]
    lines = [f"按「{r.rule.label}」：{r.reason}。" for r in known]
    asks = {"grad_year": ("毕业年份（哪一届）", "“2021届”"), "age": ("年龄", "“22岁”")}
    missing = [asks[f] for f in ("grad_year", "age") if f in decision.missing_facts]
    open_rules = "、".join(f"「{r.rule.label}」" for r in decision.results if r.needs)
    wanted = "或".join(name for name, _ in missing)
    examples = "或".join(example for _, example in missing)
    lines.append(f"要按{open_rules}判断，还需要知道你的{wanted}，比如回复{examples}。")
    return "\n".join(lines)

