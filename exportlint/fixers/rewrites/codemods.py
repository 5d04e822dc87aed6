"""libcst codemods shared by the fixers.

Fixers decide their edits on the nodes of the user's original tree (found by position) and
register them as `Edit`s; `apply_edits` then rewrites a method in one pass, so edits from
several fixers compose: an edit receives the node with its children already rewritten.
Cleanups that need no positions (empty blocks, method aliases) run afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import libcst as cst

Replacement = cst.CSTNode | cst.FlattenSentinel[Any] | cst.RemovalSentinel
Edit = Callable[[cst.CSTNode], Replacement]


def apply_edits(node: cst.FunctionDef, edits: Mapping[cst.CSTNode, Edit]) -> cst.FunctionDef:
    """Rewrite `node` (an original method) with `edits`, keyed by original nodes."""
    rewritten = node.visit(_ApplyEdits(edits))
    assert isinstance(rewritten, cst.FunctionDef)
    inlined = rewritten.visit(_InlineMethodAliases())
    assert isinstance(inlined, cst.FunctionDef)
    fixed = inlined.visit(_FillEmptyBlocks())
    assert isinstance(fixed, cst.FunctionDef)
    return fixed


class _ApplyEdits(cst.CSTTransformer):
    def __init__(self, edits: Mapping[cst.CSTNode, Edit]) -> None:
        self.edits = edits

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        edit = self.edits.get(original_node)
        return edit(updated_node) if edit is not None else updated_node


def keep_parens(original: cst.BaseExpression, replacement: cst.BaseExpression) -> cst.BaseExpression:
    """Move `original`'s parentheses onto `replacement`, so precedence stays as written."""
    if original.lpar and not replacement.lpar:
        return replacement.with_changes(lpar=original.lpar, rpar=original.rpar)
    return replacement


def freeze_ifexp(truth: bool) -> Edit:
    """`a if test else b` -> `a` (truth) or `b`."""

    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.IfExp)
        return keep_parens(node, node.body if truth else node.orelse)

    return edit


def freeze_while_false() -> Edit:
    """A `while` whose test was false on entry never runs: drop it."""
    return lambda node: cst.RemoveFromParent()


class _FillEmptyBlocks(cst.CSTTransformer):
    """A block left empty by the edits gets `pass`."""

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if updated_node.body:
            return updated_node
        return updated_node.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])


class _InlineMethodAliases(cst.CSTTransformer):
    """`fn = self.forward_pre` then `fn(...)`: call `self.forward_pre(...)` directly.

    Only a name assigned exactly once, to `self.<attr>`, and used only as a callee is inlined.
    """

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if getattr(self, "aliases", None) is not None:
            return False  # nested functions keep their own names
        self.aliases = _method_aliases(node)
        return True

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        kept = [s for s in updated_node.body if _alias_target(s) not in self.aliases]
        if not kept:
            return cst.RemoveFromParent()
        return updated_node.with_changes(body=kept)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        func = updated_node.func
        if isinstance(func, cst.Name) and func.value in self.aliases:
            return updated_node.with_changes(func=self.aliases[func.value])
        return updated_node


def _alias_target(stmt: cst.BaseSmallStatement) -> str | None:
    if not isinstance(stmt, cst.Assign) or len(stmt.targets) != 1:
        return None
    target = stmt.targets[0].target
    value = stmt.value
    if not isinstance(target, cst.Name) or not isinstance(value, cst.Attribute):
        return None
    if isinstance(value.value, cst.Name) and value.value.value == "self":
        return target.value
    return None


def _method_aliases(node: cst.FunctionDef) -> dict[str, cst.Attribute]:
    assigned: dict[str, list[cst.Assign]] = {}
    collector = _NameUses()
    node.body.visit(collector)
    for stmt in _small_statements(node.body):
        name = _alias_target(stmt)
        if name is not None:
            assigned.setdefault(name, []).append(stmt)  # type: ignore[arg-type]
    aliases = {}
    for name, stmts in assigned.items():
        if len(stmts) == 1 and collector.stores.get(name, 0) == 1 and \
                collector.loads.get(name, 0) == collector.calls.get(name, 0):
            value = stmts[0].value
            assert isinstance(value, cst.Attribute)
            aliases[name] = value
    return aliases


def _small_statements(node: cst.CSTNode) -> list[cst.BaseSmallStatement]:
    found: list[cst.BaseSmallStatement] = []

    class _Collect(cst.CSTVisitor):
        def visit_SimpleStatementLine(self, line: cst.SimpleStatementLine) -> None:
            found.extend(line.body)

    node.visit(_Collect())
    return found


class _NameUses(cst.CSTVisitor):
    """Counts per name: stores (assignment targets), loads, and loads that are a call's callee."""

    def __init__(self) -> None:
        self.stores: dict[str, int] = {}
        self.loads: dict[str, int] = {}
        self.calls: dict[str, int] = {}

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        for name in _target_names(node.target):
            self.stores[name] = self.stores.get(name, 0) + 1
        return False

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name):
            self.calls[node.func.value] = self.calls.get(node.func.value, 0) + 1

    def visit_Name(self, node: cst.Name) -> None:
        self.loads[node.value] = self.loads.get(node.value, 0) + 1

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `x.attr`: the attr name is not a load of a variable
        return False


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for el in target.elements for n in _target_names(el.value)]
    return []


def parse_expr(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)
