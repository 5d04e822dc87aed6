"""The package call graph: reachability from forward across the files of the scanned tree.

Each file is analysed on its own; calls that leave a file are recorded as edges to qualified
names (`pkg.utils.rotate`). This module joins them into one networkx graph and finds functions
that forward code in one file reaches in another, so those files can be analysed again with
the reached functions as extra roots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from exportlint.model import FileResult

_MAX_ROUNDS = 5


def qualify(module: str, import_path: str, is_package: bool = False) -> str:
    """Resolve an import path as written in `module` (`.utils.rotate`) to a qualified name."""
    if not import_path.startswith("."):
        return import_path
    level = len(import_path) - len(import_path.lstrip("."))
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    rest = import_path[level:]
    return ".".join([*base, rest]) if rest else ".".join(base)


def qualified_calls(module: str, calls: Sequence[tuple[str, str]], is_package: bool) -> tuple[tuple[str, str], ...]:
    """Caller and callee as qualified names."""
    return tuple(sorted({(f"{module}.{caller}", qualify(module, target, is_package)) for caller, target in calls}))


def follow_calls(
    results: list[FileResult], paths: Sequence[Path], rescan: Callable[[Path, frozenset[str]], FileResult]
) -> list[FileResult]:
    """Re-analyse files whose module-level functions forward code elsewhere reaches.

    Args:
        results: one result per path, in the same order.
        paths: the scanned files.
        rescan: analyses a file again with extra root functions.

    Returns:
        The results, with re-analysed files replaced.
    """
    by_module = {r.module: i for i, r in enumerate(results) if r.module}
    if not any(r.calls for r in results):
        return results
    import networkx as nx

    roots: dict[int, set[str]] = {}
    for _ in range(_MAX_ROUNDS):
        graph = nx.DiGraph()
        for r in results:
            graph.add_nodes_from(f"{r.module}.{s}" for s in r.reached)
            graph.add_edges_from(r.calls)
        wanted = _unanalysed_targets(graph, results, by_module)
        new = {i: names - roots.get(i, set()) for i, names in wanted.items()}
        new = {i: names for i, names in new.items() if names}
        if not new:
            break
        for i, names in new.items():
            roots.setdefault(i, set()).update(names)
            results[i] = rescan(paths[i], frozenset(roots[i]))
    return results


def _unanalysed_targets(graph: object, results: list[FileResult], by_module: dict[str, int]) -> dict[int, set[str]]:
    import networkx as nx

    assert isinstance(graph, nx.DiGraph)
    analysed = {f"{r.module}.{s}" for r in results for s in r.reached}
    wanted: dict[int, set[str]] = {}
    for node in graph.nodes:
        if node in analysed or graph.in_degree(node) == 0:
            continue
        module, _, name = str(node).rpartition(".")
        if module in by_module and name:
            wanted.setdefault(by_module[module], set()).add(name)
    return wanted
