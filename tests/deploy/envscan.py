"""What our code reads from the environment, and which of our modules a process loads, found by
reading the source (ast), without importing it (importing Rasa alone takes seconds).

An environment read is `os.environ.get("X")`, `os.getenv("X")`, `os.environ["X"]`, `"X" in env`,
the same on a mapping named `env`/`environ` (the settings readers take one), a settings helper
called with such a mapping and the name (`_number(env, "PUSH_CONCURRENCY", 16)`), a
`for name in ("A", "B"):` loop whose variable is then read, and a name made from a parameter
(`env.get(f"{prefix}_PORT")` in `listener_from_env(prefix)`, called as
`listener_from_env("PUSH_METRICS")`). Writes (`os.environ["X"] = …`) are not reads.
"""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple

ROOT = Path(__file__).resolve().parents[2]
CODE_PACKAGES = ("bot", "push", "console", "runtime", "devstack", "ledger", "handoff", "unanswered", "actions", "notices", "nlu", "policy_kb")
ENV_NAMES = {"env", "environ", "environment"}
VARIABLE = re.compile(r"[A-Z][A-Z0-9_]+")


@lru_cache(maxsize=None)
def module_file(module: str) -> Optional[Path]:
    """The source file of one of our modules (a package is its __init__.py), None if not ours."""
    if module.split(".")[0] not in CODE_PACKAGES:
        return None
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def code_files() -> Iterator[Path]:
    for package in CODE_PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


@lru_cache(maxsize=None)
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@lru_cache(maxsize=None)
def variables_read(path: Path) -> Set[str]:
    """Names of the environment variables the file reads."""
    tree = _tree(path)
    loops = _loop_constants(tree)
    found: Set[str] = set()
    for node in ast.walk(tree):
        for key in _env_keys(node):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.add(key.value)
            elif isinstance(key, ast.Name):
                found.update(loops.get(key.id, ()))
    return {name for name in found if VARIABLE.fullmatch(name)}


def _is_env(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id in ENV_NAMES) or (
        isinstance(node, ast.Attribute) and node.attr == "environ")


def _env_keys(node: ast.AST) -> List[ast.AST]:
    """The key expressions of one environment read, if `node` is one."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_env(node.value):
        return [node.slice]
    if isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
        return [node.left] if any(_is_env(c) for c in node.comparators) else []
    if not isinstance(node, ast.Call):
        return []
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("get", "pop") and _is_env(func.value):
        return node.args[:1]
    if (isinstance(func, ast.Attribute) and func.attr == "getenv") or (isinstance(func, ast.Name) and func.id == "getenv"):
        return node.args[:1]
    if any(_is_env(arg) for arg in node.args):
        return [arg for arg in node.args if isinstance(arg, ast.Constant)]
    return []


def _loop_constants(tree: ast.Module) -> Dict[str, Set[str]]:
    """`for name in ("A", "B"):` → {"name": {"A", "B"}}."""
    loops: Dict[str, Set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, (ast.Tuple, ast.List)):
            values = {e.value for e in node.iter.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            loops.setdefault(node.target.id, set()).update(values)
    return loops


@lru_cache(maxsize=None)
def name_templates() -> Dict[str, Tuple[int, str, Set[str]]]:
    """Functions of ours that read `f"{param}<suffix>"`: name → (parameter position, parameter,
    suffixes)."""
    templates: Dict[str, Tuple[int, str, Set[str]]] = {}
    for path in code_files():
        for func in ast.walk(_tree(path)):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            params = [arg.arg for arg in func.args.args]
            for node in ast.walk(func):
                for key in _env_keys(node):
                    parts = key.values if isinstance(key, ast.JoinedStr) else []
                    if (len(parts) == 2 and isinstance(parts[0], ast.FormattedValue)
                            and isinstance(parts[0].value, ast.Name) and parts[0].value.id in params
                            and isinstance(parts[1], ast.Constant)):
                        param = parts[0].value.id
                        entry = templates.setdefault(func.name, (params.index(param), param, set()))
                        entry[2].add(parts[1].value)
    return templates


@lru_cache(maxsize=None)
def templated_reads(path: Path) -> Set[str]:
    """Variables read through a template function called in `path` with a constant prefix."""
    templates = name_templates()
    found: Set[str] = set()
    for node in ast.walk(_tree(path)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name not in templates:
            continue
        position, param, suffixes = templates[name]
        args = dict(enumerate(node.args))
        value = args.get(position) or next((k.value for k in node.keywords if k.arg == param), None)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.update(value.value + suffix for suffix in suffixes)
    return {name for name in found if VARIABLE.fullmatch(name)}


@lru_cache(maxsize=None)
def readers_by_variable() -> Dict[str, List[str]]:
    """Every variable our code reads → the files that read it (relative paths)."""
    readers: Dict[str, List[str]] = {}
    for path in code_files():
        for name in variables_read(path) | templated_reads(path):
            readers.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return readers


def variables_of(modules: Iterable[str]) -> Dict[str, List[str]]:
    """Variables read by these modules of ours → the modules that read them."""
    readers: Dict[str, List[str]] = {}
    for module in sorted(modules):
        path = module_file(module)
        if path is not None:
            for name in variables_read(path) | templated_reads(path):
                readers.setdefault(name, []).append(module)
    return readers


@lru_cache(maxsize=None)
def imports_of(module: str) -> Set[str]:
    """Our modules that `module`'s source imports (anywhere in it, lazy imports included)."""
    path = module_file(module)
    if path is None:
        return set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: Set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in names if module_file(name) is not None}


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(parts + ([node.module] if node.module else []))


def closure(roots: Iterable[str]) -> Set[str]:
    """The roots, their parent packages and everything of ours they import, transitively."""
    seen: Set[str] = set()
    todo = [root for root in roots if module_file(root) is not None]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parents = [module.rsplit(".", depth)[0] for depth in range(1, module.count(".") + 1)]
        todo.extend(m for m in [*parents, *imports_of(module)] if m not in seen)
    return seen
