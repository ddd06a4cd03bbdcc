"""The layout's rules, read from the source (ast): packages import only their own layer or those
below it, and no two packages import each other, directly or round a loop.

A package is a folder of our code (bot.channels.wechat is one, bot another); every import counts,
at the top of a module or inside a function, except in a `__main__` module: an entry point composes
the process and nobody imports it (`python -m bot.gateway` starts the push worker inside the gateway
without Redis)."""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A package may import its own layer and those before it, never one after it.
LAYERS: List[Tuple[str, ...]] = [
    ("policy_kb",),                                    # the knowledge base: data and search
    ("db",),                                           # engine, tables, migrations, encryption, retention
    ("runtime",),                                      # logging, metrics, health: every process
    ("ledger", "handoff", "unanswered", "notices"),    # the feature stores, on db/ and never on each other
    ("nlu",),                                          # NLU components and the Rasa server's plug-ins
    ("actions",),                                      # the action server
    ("bot",),                                          # the gateway process: gateway/ and channels/
    ("push",),                                         # the push worker (uses the channels' clients and keys)
    ("console",),                                      # the staff console
    ("devstack",),                                     # runners of the whole stack (make run, the tests)
    ("scripts",),                                      # benchmarks and load runs
]
LAYER = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}

# Loops still to be removed (issue 15), each the group of packages it joins. The action server's
# answer, eligibility and fallback modules reach registration (and its ledger access) lazily while
# registration builds on them. The list only shrinks: test_known_cycles_are_still_there fails once
# one is gone, so its entry goes too.
KNOWN_CYCLES = {frozenset({"actions", "actions.registration"})}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def package_of(path: Path) -> str:
    return ".".join(path.parent.relative_to(ROOT).parts)


def code_files() -> Iterator[Path]:
    for package in LAYER:
        yield from sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> Iterator[str]:
    """The modules `path` imports, absolute (relative imports resolved)."""
    base = package_of(path).split(".")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - node.level + 1]
                yield ".".join(anchor + ([node.module] if node.module else []))
            elif node.module:
                yield node.module


@lru_cache(maxsize=None)
def packages() -> Set[str]:
    return {package_of(path) for path in code_files()}


def owner(module: str) -> str:
    """The package of ours a dotted name lives in ('' if none): the longest package prefix."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in packages():
            return ".".join(parts[:end])
    return ""


@lru_cache(maxsize=None)
def edges() -> Dict[str, Dict[str, str]]:
    """package -> {package it imports: one file that does, for the message}."""
    graph: Dict[str, Dict[str, str]] = {}
    for path in code_files():
        if path.name == "__main__.py":
            continue
        source = package_of(path)
        for module in imported(path):
            target = owner(module)
            if target and target != source:
                graph.setdefault(source, {}).setdefault(target, str(path.relative_to(ROOT)))
    return graph


def top(package: str) -> str:
    return package.split(".")[0]


def cycles() -> List[List[str]]:
    """The strongly connected groups of more than one package (Tarjan)."""
    graph = edges()
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    groups: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(packages()):
        if node not in index:
            visit(node)
    return groups


def test_every_package_has_a_layer() -> None:
    folders = {path.name for path in ROOT.iterdir() if path.is_dir() and any(path.glob("*.py"))} - {"tests"}
    assert folders == set(LAYER), f"packages without a layer: {sorted(folders - set(LAYER))}; layers without a package: {sorted(set(LAYER) - folders)}"


def test_no_package_imports_a_higher_layer() -> None:
    wrong = [f"{source} imports {target} ({where})" for source, targets in sorted(edges().items())
             for target, where in sorted(targets.items()) if LAYER[top(target)] > LAYER[top(source)]]
    assert not wrong, "a lower layer imports a higher one:\n" + "\n".join(wrong)


def test_feature_stores_never_import_each_other() -> None:
    """ledger/, notices/, handoff/ and unanswered/ share only db/ (and policy_kb's text helpers)."""
    stores = {"ledger", "handoff", "unanswered", "notices"}
    wrong = [f"{source} imports {target} ({where})" for source, targets in sorted(edges().items()) if top(source) in stores
             for target, where in sorted(targets.items()) if top(target) in stores and top(target) != top(source)]
    assert not wrong, "\n".join(wrong)


def test_no_package_cycle() -> None:
    graph = edges()
    found = [" ↔ ".join(group) + ": " + "; ".join(f"{a} → {b} ({graph[a][b]})" for a in group for b in group if b in graph.get(a, {}))
             for group in cycles() if frozenset(group) not in KNOWN_CYCLES]
    assert not found, "packages importing each other:\n" + "\n".join(found)


def test_known_cycles_are_still_there() -> None:
    gone = KNOWN_CYCLES - {frozenset(group) for group in cycles()}
    assert not gone, f"no longer a loop, take it off KNOWN_CYCLES: {[sorted(group) for group in gone]}"


def test_the_rules_see_an_import_and_a_cycle(tmp_path: Path) -> None:
    """The reader finds imports of every form (the rules above are only as good as it)."""
    sample = tmp_path / "pkg" / "sub" / "mod.py"
    sample.parent.mkdir(parents=True)
    sample.write_text("import a.b\nfrom c import d\ndef f():\n    from .e import g\n    from .. import h\n", encoding="utf-8")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert list(imported(sample)) == ["a.b", "c", "pkg.sub.e", "pkg"]
    finally:
        ROOT = saved
