"""The package's import graph, imports under ``TYPE_CHECKING`` included: calls flow one way, so
no module may reach itself through its imports (a type-only cycle is still a layering one)."""

from __future__ import annotations

import ast
from pathlib import Path

import lambda_cloud

PACKAGE = Path(lambda_cloud.__file__).parent

# Cycles that predate the check, each for its own area to break; a new one fails the test.
KNOWN = [
    {"bulk.errors", "bulk.reports"},
    {"_budget", "_ratelimit", "shared.budget", "shared.pacing"},
    {
        *(f"emulator.{n}" for n in ("attachments", "audit", "catalog", "fabric", "filesystems")),
        *(f"emulator.{n}" for n in ("firewall", "instances", "launch", "model", "routing")),
        *(f"emulator.{n}" for n in ("ssh_keys", "tickets", "world")),
    },
]
KNOWN = [{f"lambda_cloud.{m}" for m in cycle} for cycle in KNOWN]


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module by dotted name, and whether it is a package."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.with_suffix("").relative_to(PACKAGE.parent).parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _imports(name: str, modules: dict[str, tuple[Path, bool]]) -> set[str]:
    """The package's modules ``name`` imports, wherever in it the import statement is."""
    path, is_package = modules[name]
    here = name.split(".") if is_package else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in modules else target)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {m for m in out if m in modules and m != name}


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read_whole() -> None:
    """The reader sees type-only and relative imports (else the next tests prove nothing)."""
    modules = _modules()
    assert "lambda_cloud._client" in _imports("lambda_cloud", modules)  # under TYPE_CHECKING
    assert "lambda_cloud._api" in _imports("lambda_cloud.resources._base", modules)
    assert "lambda_cloud.resources._seed" in _imports("lambda_cloud.resources.instances", modules)
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_new_import_cycle() -> None:
    modules = _modules()
    graph = {name: _imports(name, modules) for name in modules}
    new = [cycle for cycle in _cycles(graph) if cycle not in KNOWN]
    assert new == []


def test_resources_never_import_the_client() -> None:
    """Resources reach their client through ``ClientAPI`` alone."""
    modules = _modules()
    importers = [
        name
        for name in modules
        if name.startswith("lambda_cloud.resources")
        and "lambda_cloud._client" in _imports(name, modules)
    ]
    assert importers == []
