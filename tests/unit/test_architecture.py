"""The package's seams, checked: no import cycle (lazy and TYPE_CHECKING imports included),
the conduit a leaf, the server never importing its features.

The graph is built from the source with `ast`, so an import inside a function or under
`if TYPE_CHECKING:` counts like any other: such imports hide a cycle, they do not remove it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.paths import ROOT

PACKAGE = ROOT / "server" / "wishcraft"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The package modules one import statement names (`from . import x` names `pkg.x`)."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = module.split(".")
        if MODULES[module].name != "__init__.py":
            base = base[:-1]
        if node.level > 1:
            base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base) if node.level else ""
        stem = ".".join(part for part in (prefix, node.module or "") if part)
        targets = [
            f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in MODULES else stem
            for alias in node.names
        ]
    for target in targets:
        while target and target not in MODULES and "." in target:
            target = target.rsplit(".", 1)[0]
        if target in MODULES and target != module:
            yield target


def build_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[module].update(imported(module, node))
    return graph


GRAPH = build_graph()


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_graph() -> dict[str, set[str]]:
    """The same graph one level up: `wishcraft.conduit`, `wishcraft.plan`, …"""

    def top(module: str) -> str:
        return ".".join(module.split(".")[:2])

    graph: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        graph.setdefault(top(module), set()).update(
            top(target) for target in targets if top(target) != top(module)
        )
    for module in list(graph):
        for target in graph[module]:
            graph.setdefault(target, set())
    return graph


def test_the_graph_is_not_empty() -> None:
    """A broken parser would find no edge and no cycle: make sure it sees the real imports."""
    assert len(MODULES) > 40
    assert "wishcraft.lint.engine" in GRAPH["wishcraft.lint.registries"]


def test_no_module_import_cycle() -> None:
    assert cycles(GRAPH) == []


def test_no_package_import_cycle() -> None:
    assert cycles(package_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize(
    "forbidden",
    ["wishcraft.lsp", "wishcraft.plan", "wishcraft.cli", "wishcraft.lint", "wishcraft.apply"],
)
def test_the_conduit_is_a_leaf(forbidden: str) -> None:
    offenders = sorted(
        f"{module} → {target}"
        for module, targets in GRAPH.items()
        if module.startswith("wishcraft.conduit")
        for target in targets
        if target.startswith(forbidden)
    )
    assert offenders == []


def test_the_server_never_imports_its_features() -> None:
    server_side = [
        module
        for module in GRAPH
        if module.startswith("wishcraft.lsp")
        and not module.startswith("wishcraft.lsp.features")
        and module != "wishcraft.lsp.app"
    ]
    offenders = sorted(
        f"{module} → {target}"
        for module in server_side
        for target in GRAPH[module]
        if target.startswith("wishcraft.lsp.features")
    )
    assert offenders == []


def test_the_core_does_not_reach_up() -> None:
    """model, findings, documents, lint, registry, court: no editor, CLI, plan or conduit."""
    core = (
        "wishcraft.model",
        "wishcraft.findings",
        "wishcraft.documents",
        "wishcraft.lint",
        "wishcraft.registry",
        "wishcraft.scores",
    )
    upper = (
        "wishcraft.lsp",
        "wishcraft.cli",
        "wishcraft.plan",
        "wishcraft.conduit",
        "wishcraft.apply",
    )
    offenders = sorted(
        f"{module} → {target}"
        for module, targets in GRAPH.items()
        if module.startswith(core)
        for target in targets
        if target.startswith(upper)
    )
    assert offenders == []


LEDGER = "wishcraft.ledger"
LEDGER_MAX_LINES = 350


def appends(module: str) -> list[str]:
    """Where a module takes the ledger's `append` (imported, or as `ledger.append`)."""
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith(LEDGER)
            and any(alias.name == "append" for alias in node.names)
        ):
            found.append(f"{module}:{node.lineno}")
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "append"
            and isinstance(node.value, ast.Name)
            and node.value.id == "ledger"
        ):
            found.append(f"{module}:{node.lineno}")
    return found


def test_every_ledger_line_is_written_through_record() -> None:
    """`ledger.record` decides `counted`; nothing outside the ledger package calls `append`
    behind its back (the check finds the package's own use, so it can fail)."""
    inside = [where for module in MODULES if module.startswith(LEDGER) for where in appends(module)]
    assert any(where.startswith(f"{LEDGER}.recording:") for where in inside)
    outside = [
        where for module in MODULES if not module.startswith(LEDGER) for where in appends(module)
    ]
    assert outside == []


def test_the_ledger_is_small_modules_on_the_core() -> None:
    """No ledger module over 350 lines, and the ledger imports only the core's leaves."""
    modules = [module for module in MODULES if module.startswith(LEDGER)]
    assert len(modules) > 5
    long = {
        module: count
        for module in modules
        if (count := len(MODULES[module].read_text(encoding="utf-8").splitlines()))
        > LEDGER_MAX_LINES
    }
    assert long == {}
    allowed = (
        "wishcraft.ledger",
        "wishcraft.redaction",
        "wishcraft.fileio",
        "wishcraft.timestamps",
        "wishcraft.config",  # the one wishcraft.toml reader (a leaf: the standard library only)
    )
    reaching = sorted(
        f"{module} → {target}"
        for module in modules
        for target in GRAPH[module]
        if not target.startswith(allowed)
    )
    assert reaching == []


CLASS_MAX_LINES = 300
FUNCTION_MAX_LINES = 80
MODULE_MAX_LINES = 750


def oversized(source: str, name: str) -> list[str]:
    """The classes, functions and the module of `source` over the bars, as `name:line what`."""
    import ast

    found = []
    if source.count("\n") > MODULE_MAX_LINES:
        found.append(f"{name}: module of {source.count(chr(10))} lines")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            bar = CLASS_MAX_LINES if isinstance(node, ast.ClassDef) else FUNCTION_MAX_LINES
            if length > bar:
                found.append(f"{name}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_class_function_or_module_of_the_package_is_oversized() -> None:
    """Issue 20's bars: no class over 300 lines, no function over 80, no module over 750."""
    found = [
        problem
        for module, path in MODULES.items()
        for problem in oversized(path.read_text(encoding="utf-8"), module)
    ]
    assert found == []


def test_the_size_check_catches_each_kind() -> None:
    big_function = "def f():\n" + "    x = 1\n" * FUNCTION_MAX_LINES
    big_class = "class C:\n" + "    x = 1\n" * CLASS_MAX_LINES
    big_module = "x = 1\n" * (MODULE_MAX_LINES + 1)
    assert oversized(big_function, "m") == ["m:1 f (81 lines)"]
    assert oversized(big_class, "m") == ["m:1 C (301 lines)"]
    assert oversized(big_module, "m") == [f"m: module of {MODULE_MAX_LINES + 1} lines"]
    assert oversized("def f():\n    return 1\n", "m") == []
