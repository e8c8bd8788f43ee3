"""Every module imports, and no qa_audit module imports itself back through others (no cycles).

The graph counts every import statement, also those inside functions or under TYPE_CHECKING: a
lazy import only hides a cycle from the interpreter, not from the reader.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import qa_audit

PACKAGE_DIR = Path(qa_audit.__file__).resolve().parent


def module_names() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = module_names()


def imports_of(name: str, path: Path) -> set[str]:
    """The qa_audit modules `name` imports (a `from X import y` counts y when y is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports(name):
    importlib.import_module(name)


def test_no_import_cycles_among_qa_audit_modules():
    graph = {name: imports_of(name, path) for name, path in MODULES.items()}
    assert len(graph) > 50
    assert graph["qa_audit.parallel"] >= {"qa_audit.auditor"}  # the walk sees real edges
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


ATOMIC_NAMES = {"atomic_path", "atomic_text"}


def atomic_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every `from module import atomic_*` in a file (relative imports kept as written)."""
    return [
        ("." * node.level + (node.module or ""), alias.name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name in ATOMIC_NAMES
    ]


def test_atomic_writes_live_outside_report():
    # atomic.py stands alone: the store, the pipeline and the backtest write files without the report
    assert imports_of("qa_audit.atomic", MODULES["qa_audit.atomic"]) == set()
    found = {name: atomic_imports(path) for name, path in MODULES.items()}
    users = sorted(name for name, pairs in found.items() if pairs)
    assert {"qa_audit.pipeline", "qa_audit.store.sample", "qa_audit.report.machine"} <= set(users)
    wrong = {name: pairs for name, pairs in found.items() if any(mod != "qa_audit.atomic" for mod, _ in pairs)}
    assert wrong == {}, f"atomic writes imported from elsewhere than qa_audit.atomic: {wrong}"
    assert not ATOMIC_NAMES & set(vars(importlib.import_module("qa_audit.report.safe")))
