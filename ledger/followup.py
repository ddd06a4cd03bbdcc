"""What the bureau still owes each registered graduate, by the rules of the notice, 五（八）:

- a graduate who wants a job (status not in fields.NO_JOB_SEARCH) is owed at least
  1 职业指导 (guidance), 3 岗位推介 (recommendations) and 1 技能培训 or 就业见习 chance
  (training or traineeship: either one counts);
- a graduate from a family in difficulty who wants a job is owed at least 3 job opportunities
  (the notice says 3–5; recommendations are what counts as an opportunity here), and every
  one of them must be helped (100 % coverage), which the summary reports separately.

Graduates already employed or without job-seeking intent are owed nothing (the notice asks for
their status to be recorded and followed up, not for a quota of services).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Mapping, Tuple

from ledger.fields import FOLLOW_UP_KINDS, NO_JOB_SEARCH
from ledger.model import Registration
from ledger.store import LedgerRow

GUIDANCE_REQUIRED = 1
RECOMMENDATIONS_REQUIRED = 3
TRAINING_OR_TRAINEESHIP_REQUIRED = 1
# 困难家庭: "为每人至少提供3-5个就业机会" — the floor of that range.
DIFFICULTY_OPPORTUNITIES_REQUIRED = 3


@dataclass(frozen=True)
class Requirement:
    """One promise of 五（八）: `kinds` are the follow-up kinds that count towards it."""

    label: str
    kinds: Tuple[str, ...]
    required: int


@dataclass(frozen=True)
class Owed:
    """A requirement not yet met: how many were given against how many are owed."""

    label: str
    given: int
    required: int

    def __str__(self) -> str:
        return f"{self.label} {self.given}/{self.required}"


@dataclass(frozen=True)
class Summary:
    registered: int  # every registration counted (not deleted)
    seeking: int  # with job-seeking intent: the ones services are owed to
    fully_served: int  # seeking and owed nothing
    owed: int  # seeking and owed something
    difficulty: int  # seeking, from a family in difficulty
    difficulty_short: int  # of those, fewer than 3 job opportunities so far


def seeks_job(reg: Registration) -> bool:
    return reg.status not in NO_JOB_SEARCH


def requirements(reg: Registration) -> List[Requirement]:
    """The promises that apply to this graduate (none without job-seeking intent)."""
    if not seeks_job(reg):
        return []
    recommendations = RECOMMENDATIONS_REQUIRED
    if reg.difficulty:
        recommendations = max(recommendations, DIFFICULTY_OPPORTUNITIES_REQUIRED)
    return [
        Requirement(FOLLOW_UP_KINDS["guidance"], ("guidance",), GUIDANCE_REQUIRED),
        Requirement(FOLLOW_UP_KINDS["recommendation"], ("recommendation",), recommendations),
        Requirement(
            f"{FOLLOW_UP_KINDS['training']}/{FOLLOW_UP_KINDS['traineeship']}",
            ("training", "traineeship"),
            TRAINING_OR_TRAINEESHIP_REQUIRED,
        ),
    ]


def owed(reg: Registration, follow_ups: Mapping[str, int]) -> List[Owed]:
    """The requirements not yet met, given the follow-up counts by kind."""
    result: List[Owed] = []
    for requirement in requirements(reg):
        given = sum(follow_ups.get(kind, 0) for kind in requirement.kinds)
        if given < requirement.required:
            result.append(Owed(requirement.label, given, requirement.required))
    return result


def row_owed(row: LedgerRow) -> List[Owed]:
    return owed(row.registration, row.follow_ups)


def owed_labels(row: LedgerRow) -> List[str]:
    """Short labels for staff, e.g. ['职业指导 0/1', '岗位推介 1/3']."""
    return [str(item) for item in row_owed(row)]


def opportunities(follow_ups: Mapping[str, int]) -> int:
    """Job opportunities given so far (recommendations)."""
    return follow_ups.get("recommendation", 0)


def difficulty_short(row: LedgerRow) -> bool:
    """A job-seeking graduate from a family in difficulty with fewer than 3 opportunities."""
    reg = row.registration
    return bool(reg.difficulty) and seeks_job(reg) and opportunities(row.follow_ups) < DIFFICULTY_OPPORTUNITIES_REQUIRED


def received_labels(follow_ups: Mapping[str, int]) -> List[str]:
    """Services given so far, e.g. ['职业指导 1', '岗位推介 2'], in the order of FOLLOW_UP_KINDS."""
    return [f"{label} {follow_ups[kind]}" for kind, label in FOLLOW_UP_KINDS.items() if follow_ups.get(kind)]


def summarize(rows: Iterable[LedgerRow]) -> Summary:
    registered = seeking = served = owing = difficulty = short = 0
    for row in rows:
        registered += 1
        if not seeks_job(row.registration):
            continue
        seeking += 1
        if row_owed(row):
            owing += 1
        else:
            served += 1
        if row.registration.difficulty:
            difficulty += 1
            short += difficulty_short(row)
    return Summary(registered, seeking, served, owing, difficulty, short)


def summary_lines(summary: Summary) -> List[str]:
    """The summary as staff read it."""
    return [
        f"登记人数: {summary.registered}",
        f"有就业意愿: {summary.seeking}",
        f"服务已达标: {summary.fully_served}",
        f"尚欠服务: {summary.owed}",
        f"困难家庭毕业生（有就业意愿）: {summary.difficulty}",
        f"困难家庭毕业生就业机会不足{DIFFICULTY_OPPORTUNITIES_REQUIRED}个: {summary.difficulty_short}",
    ]
