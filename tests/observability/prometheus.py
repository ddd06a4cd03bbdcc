"""A strict reader of the Prometheus text exposition format (0.0.4), for the tests: it refuses
what Prometheus would refuse, and what our exporters must never produce.

`parse(text)` checks, and raises ExpositionError naming the line:
- `# HELP name text` and `# TYPE name counter|gauge|histogram|summary|untyped`, at most one of each
  per family, TYPE before the family's samples, a family's samples together;
- metric and label names ([a-zA-Z_:][a-zA-Z0-9_:]* / [a-zA-Z_][a-zA-Z0-9_]*), label values
  quoted with only \\\\, \\" and \\n escapes, no label twice, no series twice, values that are
  floats (or +Inf, -Inf, NaN);
- a sample's name is its family's, or for a histogram <family>_bucket/_sum/_count;
- per histogram series: `le` on every bucket, buckets increasing in `le`, counts never going
  down, a +Inf bucket equal to _count, and a _sum; counters never negative.
It returns {(name, labels as a sorted tuple of pairs): value}.
"""
from __future__ import annotations

import math
import re
from typing import Dict, List, Optional, Tuple

Labels = Tuple[Tuple[str, str], ...]
Samples = Dict[Tuple[str, Labels], float]

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_HELP = re.compile(rf"# HELP ({_NAME}) (.*)")
_TYPE = re.compile(rf"# TYPE ({_NAME}) (counter|gauge|histogram|summary|untyped)")
_SAMPLE = re.compile(rf"({_NAME})(\{{.*\}})? (\S+)( -?\d+)?")
_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
_VALUE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]Inf|NaN")


class ExpositionError(AssertionError):
    """The text is not valid exposition format; the message names the line."""


def parse(text: str) -> Samples:
    if text and not text.endswith("\n"):
        raise ExpositionError("the text must end with a newline")
    types: Dict[str, str] = {}
    helps: Dict[str, str] = {}
    finished: set = set()
    current: Optional[str] = None
    samples: Samples = {}
    for number, line in enumerate(text.splitlines(), 1):
        where = f"line {number}: {line!r}"
        if not line.strip():
            continue
        if line.startswith("#"):
            current = _comment(line, where, types, helps, finished, current)
            continue
        name, labels, value = _sample(line, where)
        family = _family(name, types)
        if family is None:
            raise ExpositionError(f"{where}: no # TYPE declared for this metric")
        if family != current:
            if family in finished:
                raise ExpositionError(f"{where}: samples of {family} are not together")
            if current is not None:
                finished.add(current)
            current = family
        if (name, labels) in samples:
            raise ExpositionError(f"{where}: the same series twice")
        if types[family] == "counter" and value < 0:
            raise ExpositionError(f"{where}: a counter below zero")
        samples[(name, labels)] = value
    for family, kind in types.items():
        if kind == "histogram":
            check_histogram(family, samples)
    return samples


def _comment(line: str, where: str, types: Dict[str, str], helps: Dict[str, str], finished: set,
             current: Optional[str]) -> Optional[str]:
    if line.startswith("# HELP "):
        match = _HELP.fullmatch(line)
        if not match or match.group(1) in helps:
            raise ExpositionError(f"{where}: malformed or repeated HELP")
        helps[match.group(1)] = match.group(2)
        return current
    if line.startswith("# TYPE "):
        match = _TYPE.fullmatch(line)
        if not match or match.group(1) in types:
            raise ExpositionError(f"{where}: malformed or repeated TYPE")
        if match.group(1) == current or match.group(1) in finished:
            raise ExpositionError(f"{where}: TYPE after the family's samples")
        types[match.group(1)] = match.group(2)
        return current
    return current  # any other comment is allowed


def _sample(line: str, where: str) -> Tuple[str, Labels, float]:
    match = _SAMPLE.fullmatch(line)
    if not match:
        raise ExpositionError(f"{where}: not `name{{labels}} value`")
    name, raw_labels, raw_value = match.group(1), match.group(2), match.group(3)
    if not _VALUE.fullmatch(raw_value):
        raise ExpositionError(f"{where}: {raw_value!r} is not a number")
    return name, _labels(raw_labels or "", where), float(raw_value)


def _labels(raw: str, where: str) -> Labels:
    if not raw:
        return ()
    inner = raw[1:-1]
    pairs: List[Tuple[str, str]] = []
    position = 0
    while position < len(inner):
        match = _PAIR.match(inner, position)
        if not match:
            raise ExpositionError(f"{where}: bad label syntax at {inner[position:]!r}")
        pairs.append((match.group(1), _unescape(match.group(2))))
        position = match.end()
        if position < len(inner):
            if inner[position] != ",":
                raise ExpositionError(f"{where}: labels must be separated by commas")
            position += 1
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names) or any(name.startswith("__") for name in names):
        raise ExpositionError(f"{where}: a label twice or a reserved label name")
    return tuple(sorted(pairs))


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "\\": "\\", '"': '"'}[m.group(1)], value)


def _family(name: str, types: Dict[str, str]) -> Optional[str]:
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            return base
    return None


def check_histogram(family: str, samples: Samples) -> None:
    buckets: Dict[Labels, List[Tuple[float, float]]] = {}
    for (name, labels), value in samples.items():
        if name == family + "_bucket":
            rest = tuple(pair for pair in labels if pair[0] != "le")
            le = dict(labels).get("le")
            if le is None:
                raise ExpositionError(f"{family}: a bucket without `le`")
            buckets.setdefault(rest, []).append((float(le), value))
    for rest, found in buckets.items():
        bounds = [b for b, _ in found]
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ExpositionError(f"{family}{dict(rest)}: buckets not in increasing `le` order")
        counts = [c for _, c in found]
        if any(later < earlier for earlier, later in zip(counts, counts[1:])):
            raise ExpositionError(f"{family}{dict(rest)}: bucket counts go down")
        if not math.isinf(bounds[-1]):
            raise ExpositionError(f"{family}{dict(rest)}: no +Inf bucket")
        count = samples.get((family + "_count", rest))
        if count is None or count != counts[-1] or (family + "_sum", rest) not in samples:
            raise ExpositionError(f"{family}{dict(rest)}: _count {count} is not the +Inf bucket {counts[-1]}, or no _sum")


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample `name{labels}`, 0 when absent (a counter not yet moved has no series)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of every series of `name` whose labels include `labels`."""
    return sum(v for (n, found), v in samples.items() if n == name and set(labels.items()) <= set(found))
