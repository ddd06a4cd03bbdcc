"""Load and validate the knowledge base; every error names the file, the entry and the field."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Tuple, Type

import yaml
from pydantic import BaseModel, ValidationError

from policy_kb import schema
from policy_kb.kb import KnowledgeBase

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data"

FILES: Dict[str, Type[BaseModel]] = {
    "notice.yml": schema.NoticeFile,
    "sources.yml": schema.SourcesFile,
    "measures.yml": schema.MeasuresFile,
    "policies.yml": schema.PoliciesFile,
    "help_routes.yml": schema.RoutesFile,
    "districts.yml": schema.DistrictsFile,
    "institutions.yml": schema.InstitutionsFile,
    "faq.yml": schema.FaqFile,
    "situations.yml": schema.SituationsFile,
    "details.yml": schema.DetailsFile,
    "asks.yml": schema.AsksFile,
    "english.yml": schema.EnglishFile,
}


class KBError(Exception):
    """The knowledge base cannot be used; `problems` lists each as 'file: entry: field: what'."""

    def __init__(self, problems: List[str]) -> None:
        self.problems = problems
        super().__init__("knowledge base is invalid:\n  " + "\n  ".join(problems))


def load_kb(data_dir: Path = DEFAULT_DATA_DIR) -> KnowledgeBase:
    """Read every file of `data_dir`, validate it and build the searchable knowledge base."""
    parsed: Dict[str, BaseModel] = {}
    problems: List[str] = []
    for name, model in FILES.items():
        path = data_dir / name
        try:
            parsed[name] = _parse_file(path, model)
        except KBError as error:
            problems.extend(error.problems)
    if problems:
        raise KBError(problems)
    return KnowledgeBase.build(parsed, data_dir)


def _parse_file(path: Path, model: Type[BaseModel]) -> BaseModel:
    raw = _read_yaml(path)
    try:
        return model.parse_obj(raw)
    except ValidationError as error:
        raise KBError(_describe(path, raw, error)) from None


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise KBError([f"{path}: file is missing"])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise KBError([f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise KBError([f"{path}: {where}invalid YAML: {problem}"]) from None
    if not isinstance(raw, dict):
        raise KBError([f"{path}: expected a mapping at the top, found {type(raw).__name__}"])
    return raw


def _describe(path: Path, raw: Any, error: ValidationError) -> List[str]:
    seen = set()
    lines = []
    for item in error.errors():
        entry, field = _locate(raw, item["loc"])
        line = f"{path}: {entry}: field '{field}': {item['msg']}"
        if (entry, field) not in seen:  # a Union field reports once per member; keep the first
            seen.add((entry, field))
            lines.append(line)
    return lines


def _locate(raw: Any, loc: Tuple[Any, ...]) -> Tuple[str, str]:
    """Split a pydantic location into an entry label ('policies entry 'x' (#2)') and a field path."""
    if len(loc) >= 2 and isinstance(loc[1], int):
        section, index = loc[0], loc[1]
        items = raw.get(section) if isinstance(raw, dict) else None
        item = items[index] if isinstance(items, list) and index < len(items) else None
        label = _entry_label(item)
        entry = f"{section} entry {label}(#{index + 1})"
        rest = loc[2:]
    else:
        entry, rest = str(loc[0]), loc[1:]
    parts = [str(part) for part in rest if not _is_union_member(part) and part != "__root__"]
    field = ".".join(parts) or "(the entry as a whole)"
    return entry, field


def _entry_label(item: Any) -> str:
    if not isinstance(item, dict):
        return ""
    if "district" in item and "kind" in item:
        return f"'{item['district']}/{item['kind']}' "
    for key in ("id", "key", "name"):
        if isinstance(item.get(key), (str, int)):
            return f"'{item[key]}' "
    return ""


def _is_union_member(part: Any) -> bool:
    # pydantic v1 names the Union member it tried: ConstrainedStrValue, Missing, AgeRange ...
    return isinstance(part, str) and part[:1].isupper()
