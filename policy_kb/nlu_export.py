"""Feed the knowledge base's names to the NLU at training time.

Writes, into one generated folder that Rasa reads with the hand-written data:
- `kb_lookups.yml`: lookup tables and entity synonyms for district, policy and institution kind;
- `kb_faq_responses.yml`: a domain file with one response per FAQ entry (the ResponseSelector's
  labels; the assistant still answers from the knowledge base at answer time);
- `jieba/userdict.txt`: the jieba user dictionary, so names are single tokens.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterable, List, Set

import yaml

from policy_kb.kb import KnowledgeBase

FAQ_INTENT = re.compile(r"^\s*-\s*intent:\s*faq/(?P<key>[a-z0-9_]+)\s*$", re.MULTILINE)


class ExportError(Exception):
    """The training data and the knowledge base disagree."""


def export(kb: KnowledgeBase, out_dir: Path, training_dir: Path) -> List[Path]:
    check_faq_keys(kb, training_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "jieba").mkdir(exist_ok=True)
    written = [
        _write_yaml(out_dir / "kb_lookups.yml", lookups_and_synonyms(kb)),
        _write_yaml(out_dir / "kb_faq_responses.yml", faq_responses(kb)),
        _write_text(out_dir / "jieba" / "userdict.txt", jieba_dictionary(kb)),
    ]
    return written


def entity_names(kb: KnowledgeBase) -> Dict[str, Dict[str, List[str]]]:
    """entity -> canonical value -> every surface name (canonical first)."""
    policy: Dict[str, List[str]] = {}
    for p in kb.policies.values():
        policy.setdefault(p.name, []).extend([p.name, *p.aliases])
    for m in kb.measures.values():
        canonical = kb.policies[m.answered_by].name if m.answered_by else m.name
        policy.setdefault(canonical, []).extend([m.name, m.title, m.section, *m.aliases])
    return {
        "policy": policy,
        "district": {name: [name, *d.aliases] for name, d in kb.districts.items()},
        "institution_kind": {k.name: [k.name, *k.aliases] for k in kb.kinds.values()},
    }


def lookups_and_synonyms(kb: KnowledgeBase) -> dict:
    items: List[dict] = []
    for entity, values in entity_names(kb).items():
        every = _unique(name for names in values.values() for name in names)
        items.append({"lookup": entity, "examples": _block(every)})
        for canonical, names in values.items():
            others = [n for n in _unique(names) if n != canonical]
            if others:
                items.append({"synonym": canonical, "examples": _block(others)})
    return {"version": "3.1", "nlu": items}


def faq_responses(kb: KnowledgeBase) -> dict:
    responses = {f"utter_faq/{key}": [{"text": entry.answer}] for key, entry in kb.faq.items()}
    return {"version": "3.1", "responses": responses}


def jieba_dictionary(kb: KnowledgeBase) -> str:
    names = _unique(n for values in entity_names(kb).values() for group in values.values() for n in group)
    routes = _unique(n for r in kb.routes.values() for n in [r.name, *r.aliases])
    words = [w for w in _unique([*names, *routes]) if len(w) > 1 and " " not in w]
    return "".join(f"{word} 1000 n\n" for word in words)


def check_faq_keys(kb: KnowledgeBase, training_dir: Path) -> None:
    trained: Set[str] = set()
    for path in sorted(training_dir.rglob("*.yml")):
        trained.update(m["key"] for m in FAQ_INTENT.finditer(path.read_text(encoding="utf-8")))
    unanswered = sorted(trained - set(kb.faq))
    untrained = sorted(set(kb.faq) - trained)
    problems = [f"training data has faq/{k} but faq.yml has no entry '{k}'" for k in unanswered]
    problems += [f"faq.yml entry '{k}' has no training examples (add intent faq/{k} to nlu/data/faq.yml)" for k in untrained]
    if problems:
        raise ExportError("; ".join(problems))


def _unique(items: Iterable[str]) -> List[str]:
    return list(dict.fromkeys(items))


def _block(names: List[str]) -> str:
    return "".join(f"- {name}\n" for name in names)


def _write_yaml(path: Path, content: dict) -> Path:
    header = "# Generated from policy_kb/data by `python -m policy_kb export-nlu`; do not edit.\n"
    path.write_text(header + yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _write_text(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path
