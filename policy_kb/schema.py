"""Typed schema of the knowledge-base files in `policy_kb/data/`.

Every model forbids unknown fields, so a typo in a field name is an error, not a silent gap.
A fact nobody could source is written as ``{missing: why}`` (:class:`Missing`) and answered as
missing; it is never filled in.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, List, Literal, Optional, Union

from pydantic import BaseModel, Extra, Field, StrictInt, conint, constr, root_validator

if TYPE_CHECKING:  # a checked value is a str (pydantic's constr makes its class at run time)
    NonEmpty = str
else:
    NonEmpty = constr(strict=True, strip_whitespace=True, min_length=1)


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True


class Missing(Strict):
    """A fact that could not be sourced; `missing` says why and where to ask instead."""

    missing: NonEmpty  # type: ignore[valid-type]


Fact = Union[NonEmpty, Missing]  # type: ignore[valid-type]


class AgeRange(Strict):
    type: Literal["age_range"]
    min: Optional[StrictInt] = None
    max: Optional[StrictInt] = None
    label: NonEmpty  # type: ignore[valid-type]

    @root_validator(skip_on_failure=True)
    def _bounds(cls, values: dict) -> dict:
        low, high = values.get("min"), values.get("max")
        if low is None and high is None:
            raise ValueError("age_range needs min, max or both")
        if low is not None and high is not None and low > high:
            raise ValueError(f"age_range min {low} is above max {high}")
        return values


class GraduatedWithin(Strict):
    type: Literal["graduated_within"]
    years: conint(strict=True, gt=0, lt=20)  # type: ignore[valid-type]
    label: NonEmpty  # type: ignore[valid-type]


class GraduationYearIn(Strict):
    type: Literal["graduation_year_in"]
    years: List[StrictInt] = Field(..., min_items=1)
    label: NonEmpty  # type: ignore[valid-type]


Rule = Union[AgeRange, GraduatedWithin, GraduationYearIn]


class Eligibility(Strict):
    rules: List[Rule] = []
    conditions: List[NonEmpty] = []  # type: ignore[valid-type]


class Cited(Strict):
    sources: List[NonEmpty] = Field(..., min_items=1)  # type: ignore[valid-type]


class Period(Strict):
    start: NonEmpty  # type: ignore[valid-type]
    end: NonEmpty  # type: ignore[valid-type]
    text: NonEmpty  # type: ignore[valid-type]


class Notice(Cited):
    title: NonEmpty  # type: ignore[valid-type]
    short_name: NonEmpty  # type: ignore[valid-type]
    issuer: NonEmpty  # type: ignore[valid-type]
    published: NonEmpty  # type: ignore[valid-type]
    published_via: NonEmpty  # type: ignore[valid-type]
    addressees: NonEmpty  # type: ignore[valid-type]
    reference_year: StrictInt
    basis: List[NonEmpty]  # type: ignore[valid-type]
    sections: dict
    theme: NonEmpty  # type: ignore[valid-type]
    period: Period
    targets: List[NonEmpty] = Field(..., min_items=1)  # type: ignore[valid-type]
    targets_note: Optional[NonEmpty] = None  # type: ignore[valid-type]
    eligibility: Eligibility


class Document(Strict):
    """checked: read in a copy of the document or a public page; report: a news report (answers
    using it say so); rule_2019: an older Beijing rule that may still apply (answers say so); own:
    this assistant's own documentation (how it handles data)."""

    id: NonEmpty  # type: ignore[valid-type]
    title: NonEmpty  # type: ignore[valid-type]
    standing: Literal["checked", "report", "rule_2019", "own"]
    short: Optional[NonEmpty] = None  # type: ignore[valid-type]  # how answers cite it, where the id is long


class Measure(Cited):
    id: NonEmpty  # type: ignore[valid-type]
    section: NonEmpty  # type: ignore[valid-type]
    name: NonEmpty  # type: ignore[valid-type]
    title: NonEmpty  # type: ignore[valid-type]
    aliases: List[NonEmpty] = []  # type: ignore[valid-type]
    answered_by: Optional[NonEmpty] = None  # type: ignore[valid-type]
    summary: NonEmpty  # type: ignore[valid-type]
    points: List[NonEmpty] = Field(..., min_items=1)  # type: ignore[valid-type]


class Policy(Cited):
    id: NonEmpty  # type: ignore[valid-type]
    name: NonEmpty  # type: ignore[valid-type]
    kind: Literal["subsidy", "programme", "service"]
    aliases: List[NonEmpty] = []  # type: ignore[valid-type]
    summary: NonEmpty  # type: ignore[valid-type]
    recipient: Fact
    who: Fact
    eligibility: Optional[Eligibility] = None
    benefit: Fact
    amount: Optional[Fact] = None
    how_to_apply: Fact
    where: Fact
    until: Fact
    materials: Optional[Fact] = None


class Route(Cited):
    id: NonEmpty  # type: ignore[valid-type]
    name: NonEmpty  # type: ignore[valid-type]
    aliases: List[NonEmpty] = []  # type: ignore[valid-type]
    categories: List[Literal["help", "jobs"]] = Field(..., min_items=1)
    summary: NonEmpty  # type: ignore[valid-type]
    url: Optional[constr(strict=True, regex=r"^https?://\S+$")] = None  # type: ignore[valid-type]
    phone: Optional[constr(strict=True, regex=r"^[0-9-]{3,20}$")] = None  # type: ignore[valid-type]
    offers: List[NonEmpty] = []  # type: ignore[valid-type]
    how: Optional[Fact] = None


class District(Strict):
    name: NonEmpty  # type: ignore[valid-type]
    aliases: List[NonEmpty] = []  # type: ignore[valid-type]


class InstitutionKind(Cited):
    id: Literal["public_employment", "talent", "archive"]
    name: NonEmpty  # type: ignore[valid-type]
    aliases: List[NonEmpty] = []  # type: ignore[valid-type]
    handles: NonEmpty  # type: ignore[valid-type]


class Institution(Strict):
    """One office of the directory. A sample entry holds no contact data at all (checked in kb.py)."""

    district: NonEmpty  # type: ignore[valid-type]
    kind: Literal["public_employment", "talent", "archive"]
    name: NonEmpty  # type: ignore[valid-type]
    sample: bool
    address: Optional[Fact] = None
    phone: Optional[Fact] = None
    hours: Optional[Fact] = None
    website: Optional[constr(strict=True, regex=r"^https?://\S+$")] = None  # type: ignore[valid-type]
    sources: List[NonEmpty] = []  # type: ignore[valid-type]


class FaqEntry(Cited):
    key: constr(strict=True, regex=r"^[a-z][a-z0-9_]*$")  # type: ignore[valid-type]
    question: NonEmpty  # type: ignore[valid-type]
    answer: NonEmpty  # type: ignore[valid-type]


class Situation(Cited):
    """“I am X, what help is there” (kind help) or a rights problem (kind rights): the answer for
    that situation, found by its names; `related` names the policies or measures to offer next."""

    id: constr(strict=True, regex=r"^[a-z][a-z0-9_]*$")  # type: ignore[valid-type]
    kind: Literal["help", "rights"]
    name: NonEmpty  # type: ignore[valid-type]
    aliases: List[NonEmpty] = Field(..., min_items=1)  # type: ignore[valid-type]
    answer: NonEmpty  # type: ignore[valid-type]
    related: List[NonEmpty] = []  # type: ignore[valid-type]
    employer: bool = False  # asked by an employer: no “am I eligible” check is offered


class Detail(Cited):
    """A fact a graduate asks about that no policy, measure, route or FAQ entry holds (the notice's
    reference number, when a cited document took effect …): reached by retrieval only, through its
    question and the ways graduates ask it (`asks`)."""

    id: constr(strict=True, regex=r"^[a-z][a-z0-9_]*$")  # type: ignore[valid-type]
    question: NonEmpty  # type: ignore[valid-type]
    answer: NonEmpty  # type: ignore[valid-type]
    asks: List[NonEmpty] = []  # type: ignore[valid-type]


class Asks(Strict):
    """Everyday ways of asking for one answer unit (policy_kb/units.py names them), added to what
    retrieval matches: “补贴打到谁卡上” for 'policy:traineeship#recipient'."""

    unit: NonEmpty  # type: ignore[valid-type]
    asks: List[NonEmpty] = Field(..., min_items=1)  # type: ignore[valid-type]


class EnglishText(Strict):
    """The English answer of one answer unit (policy_kb/units.py names them, e.g. 'policy:traineeship#what')."""

    unit: NonEmpty  # type: ignore[valid-type]
    text: NonEmpty  # type: ignore[valid-type]
    keywords: List[NonEmpty] = []  # type: ignore[valid-type]


# One file = one top-level key holding a model or a list of models.
class NoticeFile(Strict):
    notice: Notice


class SourcesFile(Strict):
    documents: List[Document]


class MeasuresFile(Strict):
    measures: List[Measure]


class PoliciesFile(Strict):
    policies: List[Policy]


class RoutesFile(Strict):
    routes: List[Route]


class DistrictsFile(Strict):
    districts: List[District]
    institution_kinds: List[InstitutionKind]


class InstitutionsFile(Strict):
    institutions: List[Institution]


class FaqFile(Strict):
    faq: List[FaqEntry]


class SituationsFile(Strict):
    situations: List[Situation]


class DetailsFile(Strict):
    details: List[Detail]


class AsksFile(Strict):
    asks: List[Asks]


class EnglishFile(Strict):
    english: List[EnglishText]
