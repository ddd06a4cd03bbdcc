"""Answer texts composed from knowledge-base entries. Every answer ends with its sources; a
missing fact is said to be missing; a sample entry is said to be sample data."""
from __future__ import annotations

from typing import List, Optional, Sequence

from policy_kb import KnowledgeBase, schema
from policy_kb.eligibility import Decision

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
    lines = [
        f"【{policy.name}】{policy.summary}",
        f"· 发给谁：{fact(policy.recipient)}",
        f"· 谁能享受：{fact(policy.who)}",
        f"· 能得到什么：{fact(policy.benefit)}",
    ]
    if policy.amount is not None:
        lines.append(f"· 标准/金额：{fact(policy.amount)}")
    lines += [
        f"· 怎么申请：{fact(policy.how_to_apply)}",
        f"· 去哪办：{fact(policy.where)}",
        f"· 截止时间：{fact(policy.until)}",
        sources_line(kb, policy.sources),
    ]
    return "\n".join(lines)


def measure_answer(kb: KnowledgeBase, measure: schema.Measure) -> str:
    points = "\n".join(f"{n}. {p}" for n, p in enumerate(measure.points, start=1))
    return f"【{measure.section} {measure.title}】\n{measure.summary}\n要点：\n{points}\n{sources_line(kb, measure.sources)}"


def numbered(items: Sequence[str]) -> str:
    return "\n".join(f"{n}. {item}" for n, item in enumerate(items, start=1))


def policy_list(kb: KnowledgeBase) -> str:
    names = [p.name for p in kb.policies.values()]
    return f"就业创业政策清单（回复序号或名称看详情）：\n{numbered(names)}\n{sources_line(kb, ['通知 五（二）', '通知 五（三）'])}"


def measure_list(kb: KnowledgeBase) -> str:
    titles = [f"{m.section} {m.name}" for m in kb.measures.values()]
    period = kb.notice.period.text
    return (
        f"这次攻坚行动（{period}）有十项主要措施，回复序号看详情：\n{numbered(titles)}\n"
        f"{sources_line(kb, ['通知 五'])}"
    )


def route_line(route: schema.Route) -> str:
    contact = route.url or (f"电话 {route.phone}" if route.phone else None)
    contact = contact or (fact(route.how) if route.how else "")
    return f"{route.name}：{route.summary}" + (f"\n   {contact}" if contact else "")


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


SAMPLE_WARNING = "⚠️ 以下是示例条目：该机构的地址、电话和办公时间尚未核实，请勿当作真实信息。"


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
    if inst.sample:
        lines.append("· 地址、电话、办公时间：暂缺（示例数据，待核实）")
    else:
        lines += [f"· 地址：{fact(inst.address)}", f"· 电话：{fact(inst.phone)}", f"· 办公时间：{fact(inst.hours)}"]
        if inst.website:
            lines.append(f"· 网址：{inst.website}")
    return "\n".join(lines)


def _verified_routes(kb: KnowledgeBase) -> str:
    platform = kb.routes["bj_graduate_platform"]
    return f"查询或办理可以拨打12333，或登录{platform.name}：{platform.url}"


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
        lines.append(f"✅ 你符合条件。依据「{rule.rule.label}」：{rule.reason}。")
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
    lines.append(sources_line(kb, sources))
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

