"""Which names a rewritten method needs, and the import lines that bind them in the wrapper.

Rewritten methods are copies of the user's methods placed in the wrapper module, so every
global they use must be bound there too: absolute imports are repeated as the user wrote them,
anything else defined in the user's file is imported from it.
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Iterable

import libcst as cst

_BUILTINS = set(dir(builtins)) | {"__class__"}


def free_names(nodes: Iterable[cst.CSTNode]) -> set[str]:
    """Names loaded in `nodes` and bound nowhere inside them (globals and builtins excluded)."""
    loads: set[str] = set()
    stores: set[str] = set()
    for node in nodes:
        collector = _Names()
        node.visit(collector)
        loads |= collector.loads
        stores |= collector.stores
    return {n for n in loads - stores if n not in _BUILTINS}


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.loads: set[str] = set()
        self.stores: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.loads.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        self.stores.add(node.name.value)
        for part in (node.annotation, node.default):
            if part is not None:
                part.visit(self)
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._store(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._store(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._store(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._store(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._store(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._store(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._store(node.target)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.stores.add(node.name.value)

    def _store(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.stores.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._store(element.value)
        elif isinstance(target, cst.StarredElement):
            self._store(target.value)


def import_bindings(module: cst.Module) -> dict[str, str]:
    """Top-level absolute imports of the user's file: bound name -> the import line binding it."""
    bindings: dict[str, str] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    line = f"import {cst.Module([]).code_for_node(alias).rstrip(', ')}"
                    bindings[_bound(alias)] = line
            elif isinstance(small, cst.ImportFrom) and not small.relative and \
                    not isinstance(small.names, cst.ImportStar) and small.module is not None:
                source = cst.Module([]).code_for_node(small.module)
                for alias in small.names:
                    text = cst.Module([]).code_for_node(alias).rstrip(", ")
                    bindings[_bound(alias)] = f"from {source} import {text}"
    return bindings


def _bound(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    name = cst.Module([]).code_for_node(alias.name)
    return name.split(".")[0]


def merge_imports(lines: Iterable[str]) -> str:
    """Import lines as isort writes them: standard library first, then the rest.

    Within a group `import x` and `from x import a` are sorted by module; the names of
    `from X import a` and `from X import b` are merged into one line.
    """
    groups: dict[bool, dict[str, set[str]]] = {True: {}, False: {}}
    for line in lines:
        if line.startswith("from "):
            source, _, names = line[5:].partition(" import ")
            key = f"from {source}"
        else:
            source, names, key = line.split()[1], "", line
        group = groups[source.split(".")[0] in sys.stdlib_module_names]
        group.setdefault(key, set()).update(n.strip() for n in names.split(",") if n.strip())
    blocks = []
    for std in (True, False):
        ordered = sorted(groups[std].items(), key=lambda kv: (kv[0].startswith("from "), kv[0].split()[1]))
        block = [f"{key} import {', '.join(sorted(names))}" if names else key for key, names in ordered]
        if block:
            blocks.append("\n".join(block))
    return "\n\n".join(blocks)
