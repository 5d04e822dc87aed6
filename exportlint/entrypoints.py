"""Entry points: which methods a finding's code is reached from, across the scanned files.

Each file records where its analysis started (`FileResult.entries`: every module class's
forward, the public methods of a class whose forward only raises, the configured entry points),
the calls between its own symbols (`edges`), the calls that leave it (`calls`) and the
submodules it builds from imported classes (`links`). This pass joins them into one networkx
graph of qualified symbols (`pkg.module.Class.method`) and names, on every finding, the
outermost entry points that reach its symbol: those no other entry point reaching it reaches.

With `entry-points` configured, only the named methods are starting points and the findings
none of them reaches are dropped: `exportlint scan --entry-point Sam3TrackerBase.track_step`
reports the tracker's step and what it calls, not the training losses beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from exportlint.errors import ConfigError
from exportlint.model import FileResult, Finding

__all__ = ["EntryPointError", "check_entry_points", "display", "name_entry_points", "unknown_entry_points"]


class EntryPointError(ConfigError):
    """A configured entry point names no method the scan analysed."""


def display(entry: str) -> str:
    """`Class.method` of a `pkg.module:Class.method` entry point."""
    return entry.rpartition(":")[2]


def name_entry_points(results: list[FileResult], named: Sequence[str] = ()) -> list[FileResult]:
    """The results with each finding's entry points named (narrowed to `named` when given).

    Args:
        results: one result per scanned file.
        named: the configured entry points (`Class.method`, `pkg.mod.Class.method` or
            `pkg.mod:Class.method`); empty: every entry of every file.
    """
    entries = _entries(results)
    if not entries:
        return results
    graph = _graph(results)
    starts = _matching(named, entries) if named else set(entries)
    reach: dict[str, set[str]] = {}
    import networkx as nx

    for start in starts:
        for node in nx.descendants(graph, start) | {start}:
            reach.setdefault(node, set()).add(start)
    by_class = _class_reach(reach)
    analysed = set(graph.nodes)  # type: ignore[attr-defined]
    out = []
    for r in results:
        if not r.findings or not r.module:
            out.append(r)
            continue
        findings: list[Finding] = []
        for f in r.findings:
            found = _reaching(f, r.module, reach, by_class, analysed)
            if named and not found and f.symbol and f.code != "EXL000":
                continue  # not on a path from the named entry points
            outer = _outermost(found, reach)
            findings.append(replace(f, entry_points=tuple(sorted(entries[e] for e in outer))) if outer else f)
        out.append(replace(r, findings=tuple(findings)))
    return out


def unknown_entry_points(results: Sequence[FileResult], named: Sequence[str]) -> list[str]:
    """The configured entry points that name no method the scan analysed as an entry."""
    entries = _entries(results)
    return [name for name in named if not _matching([name], entries)]


def check_entry_points(results: Sequence[FileResult], named: Sequence[str]) -> None:
    """Raise EntryPointError (one line) when a configured entry point matches nothing."""
    unknown = unknown_entry_points(results, named)
    if unknown and any(r.module for r in results):
        listed = ", ".join(f"`{u}`" for u in unknown)
        raise EntryPointError(f"entry point {listed} names no method of an nn.Module class in the scanned "
                              "files (write `Class.method` or `pkg.module:Class.method`)")


def _entries(results: Sequence[FileResult]) -> dict[str, str]:
    """Qualified node -> `pkg.module:Class.method`."""
    return {f"{r.module}.{e}": f"{r.module}:{e}" for r in results if r.module for e in r.entries}


def _graph(results: Sequence[FileResult]) -> object:
    import networkx as nx

    graph = nx.DiGraph()
    for r in results:
        if not r.module:
            continue
        graph.add_nodes_from(f"{r.module}.{e}" for e in (*r.entries, *r.reached))
        graph.add_edges_from((f"{r.module}.{a}", f"{r.module}.{b}") for a, b in r.edges)
        graph.add_edges_from(r.calls)
        graph.add_edges_from(r.links)
    return graph


def _matching(named: Sequence[str], entries: dict[str, str]) -> set[str]:
    wanted = set()
    for name in named:
        dotted = name.replace(":", ".")
        for node, label in entries.items():
            if label == name or node == dotted or node.endswith("." + dotted) or display(label) == name:
                wanted.add(node)
    return wanted


def _class_reach(reach: dict[str, set[str]]) -> dict[str, set[str]]:
    """`pkg.mod.Class` -> the entry points reaching any of its methods (for class-level findings)."""
    by_class: dict[str, set[str]] = {}
    for node, starts in reach.items():
        by_class.setdefault(node.rpartition(".")[0], set()).update(starts)
    return by_class


def _reaching(f: Finding, module: str, reach: dict[str, set[str]], by_class: dict[str, set[str]],
              analysed: set[str]) -> set[str]:
    if not f.symbol:
        return set()
    node = f"{module}.{f.symbol}"
    if node in analysed:
        return reach.get(node, set())
    # `Class.__init__` and class-level findings: what reaches the class's methods
    owner = node.rpartition(".")[0] if "." in f.symbol else node
    return by_class.get(owner, set())


def _outermost(found: set[str], reach: dict[str, set[str]]) -> set[str]:
    """The entry points in `found` that no other one in `found` reaches (all of them in a cycle)."""
    outer = {e for e in found if not (reach.get(e, set()) & found) - {e}}
    return outer or found
