"""The package's import graph has no circles, counting imports inside functions and under TYPE_CHECKING.

Each layer imports only the layers below it (STYLE.md): a lazy import that points up is a circle
waiting to happen, so every `import` / `from ... import` of an exportlint module anywhere in a
file is an edge here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "exportlint"


def module_files(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (a package is its `__init__.py`)."""
    modules: dict[str, Path] = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules that `name` imports anywhere in its file.

    `from pkg import x` is an edge to `pkg.x` when x is a submodule, and to `pkg` (its
    `__init__.py`) when x is a name defined or re-exported there.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(package, node.module, node.level)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return found & modules.keys()


def _absolute(package: str, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".")
    parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, module] if module else parts)


def import_graph(package: Path) -> nx.DiGraph:
    modules = module_files(package)
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        graph.add_edges_from((name, target) for target in imported_modules(name, path, modules) if target != name)
    return graph


def test_the_graph_sees_lazy_relative_and_package_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from pkg.sub.inner import thing\n")
    (pkg / "sub" / "inner.py").write_text("def f():\n    from pkg import top\n")
    (pkg / "top.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .sub import thing\n")
    (pkg / "other.py").write_text("from . import top\nfrom .sub import inner\nimport os\n")
    graph = import_graph(pkg)
    assert set(graph.edges) == {
        ("pkg.sub", "pkg.sub.inner"),
        ("pkg.sub.inner", "pkg.top"),
        ("pkg.top", "pkg.sub"),
        ("pkg.other", "pkg.top"),
        ("pkg.other", "pkg.sub.inner"),
    }
    assert [sorted(c) for c in nx.simple_cycles(graph)] == [["pkg.sub", "pkg.sub.inner", "pkg.top"]]


def test_the_package_has_no_import_circles() -> None:
    graph = import_graph(PACKAGE)
    # The walk sees the layers: scan -> scheduler -> pool -> engine (the last one a lazy import).
    assert {("exportlint.scan", "exportlint.scheduler"), ("exportlint.scheduler", "exportlint.pool")} <= set(graph.edges)
    assert ("exportlint.pool", "exportlint.engine") in graph.edges
    cycles = sorted(" -> ".join([*c, c[0]]) for c in nx.simple_cycles(graph))
    assert cycles == [], "import circles (lazy imports included):\n  " + "\n  ".join(cycles)
