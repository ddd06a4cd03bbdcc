"""The knowledge base in memory: validated entries plus the indexes the actions search."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

from pydantic import BaseModel

from policy_kb import schema
from policy_kb.aliases import AliasIndex
from policy_kb.spelling import CORE_TERMS, Speller
from policy_kb.retrieval import UnitIndex
from policy_kb.units import build_units
from policy_kb.text import normalize_key

Topic = Union[schema.Policy, schema.Measure]
NOTICE_CITATION = re.compile(r"^通知 (?P<section>\S+)$")


@dataclass(frozen=True)
class KnowledgeBase:
    data_dir: Path
    notice: schema.Notice
    documents: Dict[str, schema.Document]
    measures: Dict[str, schema.Measure]
    policies: Dict[str, schema.Policy]
    routes: Dict[str, schema.Route]
    districts: Dict[str, schema.District]
    kinds: Dict[str, schema.InstitutionKind]
    institutions: Dict[Tuple[str, str], schema.Institution]
    faq: Dict[str, schema.FaqEntry]
    situations: Dict[str, schema.Situation]
    units: UnitIndex
    situation_index: AliasIndex[schema.Situation]
    topic_index: AliasIndex[Topic]
    district_index: AliasIndex[str]
    kind_index: AliasIndex[schema.InstitutionKind]
    route_index: AliasIndex[schema.Route]

    @classmethod
    def build(cls, parsed: Mapping[str, BaseModel], data_dir: Path) -> "KnowledgeBase":
        """Cross-checks the parsed files and indexes them; raises KBError naming each problem."""
        from policy_kb.loader import KBError

        builder = _Builder(parsed, data_dir)
        kb = builder.build()
        if builder.problems:
            raise KBError(builder.problems)
        return kb

    def spelled(self, text: str) -> str:
        """`text` with homophone typos of the knowledge base's terms corrected (间习不贴 → 见习补贴)."""
        speller = self.units.speller
        return speller.correct(text) if speller is not None else text

    def topic(self, name: Optional[str]) -> Optional[Topic]:
        """A policy or measure by name or alias; measures answered by a policy give the policy."""
        found = self.topic_index.get(name)
        return self._resolve(found)

    def topics_in(self, text: str) -> List[Topic]:
        unique: Dict[str, Topic] = {}
        for found in self.topic_index.find(text):
            topic = self._resolve(found)
            if topic is not None:
                unique.setdefault(topic.id, topic)
        return list(unique.values())

    def _resolve(self, topic: Optional[Topic]) -> Optional[Topic]:
        if isinstance(topic, schema.Measure) and topic.answered_by:
            return self.policies[topic.answered_by]
        return topic

    def district(self, name: Optional[str]) -> Optional[str]:
        return self.district_index.get(name)

    def kind(self, name: Optional[str]) -> Optional[schema.InstitutionKind]:
        return self.kind_index.get(name)

    def route(self, name: Optional[str]) -> Optional[schema.Route]:
        return self.route_index.get(name)

    def institution(self, district: str, kind_id: str) -> Optional[schema.Institution]:
        return self.institutions.get((district, kind_id))

    def routes_for(self, category: str) -> List[schema.Route]:
        return [route for route in self.routes.values() if category in route.categories]

    def cite(self, sources: List[str]) -> str:
        """A short citation line, e.g. '通知 五（五）、五（三）；国办发〔2022〕13号': the notice's sections
        together, documents by their short name."""
        sections = [m["section"] for m in (NOTICE_CITATION.match(s) for s in sources) if m]
        documents = [self._short(s) for s in sources if not NOTICE_CITATION.match(s)]
        parts = ([f"通知 {'、'.join(sections)}"] if sections else []) + documents
        return "；".join(parts)

    def _short(self, source: str) -> str:
        document = self.documents.get(source)
        return document.short if document is not None and document.short else source

    def reported(self, sources: List[str]) -> bool:
        """Whether an entry rests on news reports or an older rule alone: its answer says so. (An
        entry citing the notice too says it in the text of the field that rests on the report.)"""
        standings = [self.documents[s].standing if s in self.documents else "checked" for s in sources]
        return bool(standings) and all(standing in ("report", "rule_2019") for standing in standings)

    def situations_in(self, text: str) -> List[schema.Situation]:
        """Situations the message says the asker is in; not one it says they are not in (“不算困难家庭”)."""
        key = normalize_key(text)
        return [s for s in self.situation_index.find(text, typos=False) if not _only_negated(key, [s.name, *s.aliases])]


NEGATION = re.compile(r"(?:不算|不是|并非|不属于|算不上|没有|没|非)$")


def _only_negated(key: str, names: Sequence[str]) -> bool:
    """Whether every mention of the names in `key` (a normalised message) follows a negation."""
    mentions = [start for name in names if (name_key := normalize_key(name)) for start in _starts(key, name_key)]
    return bool(mentions) and all(_negated(key[max(0, start - 4):start]) for start in mentions)


def _negated(before: str) -> bool:
    """“不算困难家庭”, not the question “这算不算歧视” (A-not-A)."""
    return bool(NEGATION.search(before)) and not A_NOT_A.search(before)


A_NOT_A = re.compile(r"(.)不\1$|(.)没\2$")


def _starts(key: str, name: str) -> List[int]:
    starts, start = [], key.find(name)
    while start != -1:
        starts.append(start)
        start = key.find(name, start + 1)
    return starts


class _Builder:
    """Collects cross-file problems (unknown citations, clashing aliases, unknown districts)."""

    def __init__(self, parsed: Mapping[str, BaseModel], data_dir: Path) -> None:
        self.parsed = parsed
        self.data_dir = data_dir
        self.problems: List[str] = []
        notice = parsed["notice.yml"].notice  # type: ignore[attr-defined]
        self.sections = {str(key) for key in notice.sections}
        self.documents = {d.id: d for d in parsed["sources.yml"].documents}  # type: ignore[attr-defined]

    def problem(self, file: str, entry: str, field: str, what: str) -> None:
        self.problems.append(f"{self.data_dir / file}: {entry}: field '{field}': {what}")

    def check_sources(self, file: str, entry: str, sources: List[str]) -> None:
        for index, source in enumerate(sources):
            match = NOTICE_CITATION.match(source)
            if match and match["section"] not in self.sections:
                self.problem(file, entry, f"sources.{index}", f"the notice has no section '{match['section']}'")
            elif not match and source not in self.documents:
                self.problem(file, entry, f"sources.{index}", f"unknown source '{source}' (cite '通知 <section>' or a document id from sources.yml)")

    def unique(self, file: str, items: List[Tuple[str, str]]) -> None:
        seen = set()
        for entry, key in items:
            if key in seen:
                self.problem(file, entry, "id", f"duplicate id '{key}'")
            seen.add(key)

    def build(self) -> KnowledgeBase:
        p = self.parsed
        notice: schema.Notice = p["notice.yml"].notice  # type: ignore[attr-defined]
        self.check_sources("notice.yml", "notice", notice.sources)
        measures = self._measures(p["measures.yml"].measures)  # type: ignore[attr-defined]
        policies = self._policies(p["policies.yml"].policies)  # type: ignore[attr-defined]
        topic_index = self._topic_index(policies, measures)
        for measure in measures.values():
            if measure.answered_by and measure.answered_by not in policies:
                self.problem("measures.yml", _label("measures", measure.id), "answered_by", f"no policy '{measure.answered_by}'")
        routes, route_index = self._routes(p["help_routes.yml"].routes)  # type: ignore[attr-defined]
        districts_file: schema.DistrictsFile = p["districts.yml"]  # type: ignore[assignment]
        district_index = self._district_index(districts_file.districts)
        kinds, kind_index = self._kinds(districts_file.institution_kinds)
        institutions = self._institutions(p["institutions.yml"].institutions, district_index)  # type: ignore[attr-defined]
        faq = self._faq(p["faq.yml"].faq)  # type: ignore[attr-defined]
        situations, situation_index = self._situations(p["situations.yml"].situations, policies, measures)  # type: ignore[attr-defined]
        details = self._details(p["details.yml"].details)  # type: ignore[attr-defined]
        english = p["english.yml"].english  # type: ignore[attr-defined]
        units, unknown = build_units(
            policies.values(), measures.values(), routes.values(), faq.values(), situations.values(), details,
            p["asks.yml"].asks, english,  # type: ignore[attr-defined]
        )
        for file, entry in unknown:
            self.problem(file, entry, "unit", "no such answer unit (see policy_kb/units.py for unit ids)")
        indexes = (topic_index, route_index, district_index, kind_index, situation_index)
        speller = Speller([*CORE_TERMS, *(name for index in indexes for name in index.names())])
        unit_index = UnitIndex(units, speller)
        for index in indexes:
            index.speller = speller
        return KnowledgeBase(
            data_dir=self.data_dir, notice=notice, documents=self.documents,
            measures=measures, policies=policies, routes=routes,
            districts={d.name: d for d in districts_file.districts}, kinds=kinds,
            institutions=institutions, faq=faq, situations=situations, units=unit_index,
            situation_index=situation_index, topic_index=topic_index,
            district_index=district_index, kind_index=kind_index, route_index=route_index,
        )

    def _measures(self, items: List[schema.Measure]) -> Dict[str, schema.Measure]:
        self.unique("measures.yml", [(_label("measures", m.id), m.id) for m in items])
        for m in items:
            self.check_sources("measures.yml", _label("measures", m.id), m.sources)
            if m.section not in self.sections:
                self.problem("measures.yml", _label("measures", m.id), "section", f"the notice has no section '{m.section}'")
        return {m.id: m for m in items}

    def _policies(self, items: List[schema.Policy]) -> Dict[str, schema.Policy]:
        self.unique("policies.yml", [(_label("policies", x.id), x.id) for x in items])
        for x in items:
            self.check_sources("policies.yml", _label("policies", x.id), x.sources)
        return {x.id: x for x in items}

    def _topic_index(self, policies: Dict[str, schema.Policy], measures: Dict[str, schema.Measure]) -> AliasIndex[Topic]:
        index: AliasIndex[Topic] = AliasIndex()
        for policy in policies.values():
            for clash in index.add(f"policy:{policy.id}", [policy.name, *policy.aliases], policy):
                self.problem("policies.yml", _label("policies", policy.id), "aliases", clash)
        for measure in measures.values():
            # Readers of the notice also name a measure by its section: 五（五）.
            names = [measure.name, measure.title, measure.section, *measure.aliases]
            # A measure answered by a policy shares that policy's names.
            owner = f"policy:{measure.answered_by}" if measure.answered_by else f"measure:{measure.id}"
            for clash in index.add(owner, names, measure):
                self.problem("measures.yml", _label("measures", measure.id), "aliases", clash)
        return index

    def _routes(self, items: List[schema.Route]) -> Tuple[Dict[str, schema.Route], AliasIndex[schema.Route]]:
        self.unique("help_routes.yml", [(_label("routes", r.id), r.id) for r in items])
        index: AliasIndex[schema.Route] = AliasIndex()
        for r in items:
            self.check_sources("help_routes.yml", _label("routes", r.id), r.sources)
            for clash in index.add(r.id, [r.name, *r.aliases], r):
                self.problem("help_routes.yml", _label("routes", r.id), "aliases", clash)
        return {r.id: r for r in items}, index

    def _district_index(self, items: List[schema.District]) -> AliasIndex[str]:
        index: AliasIndex[str] = AliasIndex()
        for d in items:
            for clash in index.add(d.name, [d.name, *d.aliases], d.name):
                self.problem("districts.yml", _label("districts", d.name), "aliases", clash)
        return index

    def _kinds(self, items: List[schema.InstitutionKind]) -> Tuple[Dict[str, schema.InstitutionKind], AliasIndex[schema.InstitutionKind]]:
        self.unique("districts.yml", [(_label("institution_kinds", k.id), k.id) for k in items])
        index: AliasIndex[schema.InstitutionKind] = AliasIndex()
        for k in items:
            self.check_sources("districts.yml", _label("institution_kinds", k.id), k.sources)
            for clash in index.add(k.id, [k.name, *k.aliases], k):
                self.problem("districts.yml", _label("institution_kinds", k.id), "aliases", clash)
        return {k.id: k for k in items}, index

    def _institutions(self, items: List[schema.Institution], districts: AliasIndex[str]) -> Dict[Tuple[str, str], schema.Institution]:
        table: Dict[Tuple[str, str], schema.Institution] = {}
        for number, inst in enumerate(items, start=1):
            entry = f"institutions entry '{inst.district}/{inst.kind}' (#{number})"
            canonical = districts.get(inst.district)
            if canonical != inst.district:
                self.problem("institutions.yml", entry, "district", f"unknown district '{inst.district}' (use a name from districts.yml)")
                continue
            if (inst.district, inst.kind) in table:
                self.problem("institutions.yml", entry, "kind", f"a second '{inst.kind}' entry for {inst.district}")
            self.check_sources("institutions.yml", entry, inst.sources)
            self._check_contact_data(entry, inst)
            table[(inst.district, inst.kind)] = inst
        return table

    def _check_contact_data(self, entry: str, inst: schema.Institution) -> None:
        """Sample entries hold no address, phone or hours; verified ones hold all and cite sources."""
        file = "institutions.yml"
        if inst.sample:
            for field in ("address", "phone", "hours", "website"):
                if getattr(inst, field):
                    self.problem(file, entry, field, "a sample entry may not hold contact data: set sample: false and cite sources for verified data")
            return
        if not inst.sources:
            self.problem(file, entry, "sources", "a verified entry (sample: false) needs sources")
        for field in ("address", "phone", "hours"):
            if getattr(inst, field) is None:
                self.problem(file, entry, field, "a verified entry needs it (write {missing: why} if unknown)")

    def _faq(self, items: List[schema.FaqEntry]) -> Dict[str, schema.FaqEntry]:
        self.unique("faq.yml", [(_label("faq", f.key), f.key) for f in items])
        for f in items:
            self.check_sources("faq.yml", _label("faq", f.key), f.sources)
        return {f.key: f for f in items}


    def _situations(
        self, items: List[schema.Situation], policies: Dict[str, schema.Policy], measures: Dict[str, schema.Measure]
    ) -> Tuple[Dict[str, schema.Situation], AliasIndex[schema.Situation]]:
        self.unique("situations.yml", [(_label("situations", s.id), s.id) for s in items])
        index: AliasIndex[schema.Situation] = AliasIndex()
        for s in items:
            entry = _label("situations", s.id)
            self.check_sources("situations.yml", entry, s.sources)
            for clash in index.add(s.id, [s.name, *s.aliases], s):
                self.problem("situations.yml", entry, "aliases", clash)
            for number, ref in enumerate(s.related):
                if ref not in policies and ref not in measures:
                    self.problem("situations.yml", entry, f"related.{number}", f"no policy or measure '{ref}'")
        return {s.id: s for s in items}, index

    def _details(self, items: List[schema.Detail]) -> List[schema.Detail]:
        self.unique("details.yml", [(_label("details", d.id), d.id) for d in items])
        for d in items:
            self.check_sources("details.yml", _label("details", d.id), d.sources)
        return items


def _label(section: str, key: str) -> str:
    return f"{section} entry '{key}'"
