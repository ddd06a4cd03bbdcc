"""Decide eligibility from an entry's rules and the asker's own facts, saying which rule decided."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import List, Optional, Set

from policy_kb import schema


class Verdict(Enum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Facts:
    age: Optional[int] = None
    grad_year: Optional[int] = None


@dataclass(frozen=True)
class RuleResult:
    rule: schema.Rule
    verdict: Verdict
    reason: str
    needs: Optional[str] = None  # the fact that would decide an UNKNOWN rule: "age" or "grad_year"


@dataclass(frozen=True)
class Decision:
    outcome: str  # "eligible", "not_eligible", "need_facts" or "no_rules"
    results: List[RuleResult] = field(default_factory=list)
    conditions: List[str] = field(default_factory=list)

    @property
    def deciding(self) -> List[RuleResult]:
        wanted = {"eligible": Verdict.MET, "not_eligible": Verdict.NOT_MET}.get(self.outcome, Verdict.UNKNOWN)
        return [r for r in self.results if r.verdict is wanted]

    @property
    def missing_facts(self) -> Set[str]:
        return {r.needs for r in self.results if r.needs}


def decide(eligibility: Optional[schema.Eligibility], facts: Facts, reference_year: int) -> Decision:
    """Any one rule met makes the asker eligible; otherwise unknown facts are asked for."""
    if eligibility is None or not eligibility.rules:
        return Decision("no_rules", [], list(eligibility.conditions) if eligibility else [])
    results = [check(rule, facts, reference_year) for rule in eligibility.rules]
    verdicts = {r.verdict for r in results}
    if Verdict.MET in verdicts:
        outcome = "eligible"
    elif Verdict.UNKNOWN in verdicts:
        outcome = "need_facts"
    else:
        outcome = "not_eligible"
    return Decision(outcome, results, list(eligibility.conditions))


def check(rule: schema.Rule, facts: Facts, reference_year: int) -> RuleResult:
    if isinstance(rule, schema.AgeRange):
        return _check_age(rule, facts.age)
    if isinstance(rule, schema.GraduatedWithin):
        return _check_within(rule, facts.grad_year, reference_year)
    return _check_cohort(rule, facts.grad_year)


def _check_age(rule: schema.AgeRange, age: Optional[int]) -> RuleResult:
    if age is None:
        return RuleResult(rule, Verdict.UNKNOWN, "不知道你的年龄", needs="age")
    too_young = rule.min is not None and age < rule.min
    too_old = rule.max is not None and age > rule.max
    if too_young or too_old:
        return RuleResult(rule, Verdict.NOT_MET, f"你{age}岁，不在{_age_span(rule)}范围内")
    return RuleResult(rule, Verdict.MET, f"你{age}岁，在{_age_span(rule)}范围内")


def _age_span(rule: schema.AgeRange) -> str:
    if rule.min is not None and rule.max is not None:
        return f"{rule.min}-{rule.max}岁"
    if rule.max is not None:
        return f"{rule.max}岁以下"
    return f"{rule.min}岁以上"


def _check_within(rule: schema.GraduatedWithin, year: Optional[int], reference_year: int) -> RuleResult:
    if year is None:
        return RuleResult(rule, Verdict.UNKNOWN, "不知道你哪年毕业", needs="grad_year")
    if year > reference_year:
        return RuleResult(rule, Verdict.NOT_MET, f"{year}年毕业晚于{reference_year}年的行动")
    gap = reference_year - year
    if gap < rule.years:
        return RuleResult(rule, Verdict.MET, f"你{year}年毕业，到{reference_year}年在毕业{rule.years}年内")
    return RuleResult(rule, Verdict.NOT_MET, f"你{year}年毕业，到{reference_year}年已超过毕业{rule.years}年")


def _check_cohort(rule: schema.GraduationYearIn, year: Optional[int]) -> RuleResult:
    if year is None:
        return RuleResult(rule, Verdict.UNKNOWN, "不知道你是哪一届", needs="grad_year")
    cohorts = "、".join(f"{y}届" for y in rule.years)
    if year in rule.years:
        return RuleResult(rule, Verdict.MET, f"你是{year}届，属于{cohorts}")
    return RuleResult(rule, Verdict.NOT_MET, f"你是{year}届，不是{cohorts}")
