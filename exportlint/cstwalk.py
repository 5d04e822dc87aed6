"""Read-only traversal of libcst trees, several times faster than `node.visit(visitor)`.

libcst's `node.visit(visitor)` rebuilds every node it passes (its visitors may replace nodes),
which costs more than what analysis and rules do with the nodes. Nothing in a scan replaces
nodes, so `walk` calls the same hooks in the same order (`on_visit`, `on_visit_attribute`, ...,
`on_leave`, children in source order, as libcst's own `_visit_and_replace_children` orders them)
without rebuilding anything. A `visit_<Node>` hook returning False skips that subtree, as in libcst.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, cast

import libcst as cst

__all__ = ["IS_NODE", "field_order", "forget_nodes", "memo", "nodes_in", "visit", "walk"]


class _NodeTypes(dict[type, bool]):
    """type -> whether it is a libcst node; a dict lookup instead of an ABC isinstance check."""

    def __missing__(self, kind: type) -> bool:
        found = self[kind] = issubclass(kind, cst.CSTNode)
        return found


IS_NODE = _NodeTypes()

# Per node type: the fields libcst visits, in its order. A few types visit a field only when it is
# set; for them the order is kept per combination of those fields being None or not.
_ORDERS: dict[type[cst.CSTNode], tuple[tuple[str, ...], tuple[str, ...]]] = {}
_SHAPED: dict[tuple[type[cst.CSTNode], tuple[bool, ...]], tuple[str, ...]] = {}


class _FieldRecorder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.names.append(attribute)


def _recorded(node: cst.CSTNode) -> tuple[str, ...]:
    recorder = _FieldRecorder()
    node._visit_and_replace_children(recorder)
    return tuple(dict.fromkeys(recorder.names))


def field_order(node: cst.CSTNode) -> tuple[str, ...]:
    """The fields of `node` that libcst visits, in the order it visits them."""
    known = _ORDERS.get(type(node))
    if known is None:
        names = _recorded(node)
        # A field left out while None may hold nodes on another instance (unless it is typed as
        # plain text, like `Newline.value`).
        optional = tuple(f.name for f in dataclasses.fields(node)
                         if f.name not in names and getattr(node, f.name) is None and "libcst." in str(f.type))
        known = _ORDERS[type(node)] = (names, optional)
    names, optional = known
    if not optional:
        return names
    shape = (type(node), tuple(getattr(node, f) is None for f in optional))
    found = _SHAPED.get(shape)
    if found is None:
        found = _SHAPED[shape] = _recorded(node)
    return found


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor, attributes: bool = True) -> None:
    """`node.visit(visitor)` for a visitor that only reads (`attributes`: call the field hooks)."""
    if visitor.on_visit(node):
        for name in field_order(node):
            if attributes:
                visitor.on_visit_attribute(node, name)
            value = getattr(node, name)
            kind = type(value)
            if kind is tuple or kind is list:
                for child in value:
                    if IS_NODE[type(child)]:
                        walk(child, visitor, attributes)
            elif IS_NODE[kind]:
                walk(value, visitor, attributes)
            if attributes:
                visitor.on_leave_attribute(node, name)
    visitor.on_leave(node)


def visit(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """`node.visit(visitor)` for a visitor with `visit_<Node>` / `leave_<Node>` hooks only."""
    walk(node, visitor, attributes=False)


# (root's id, what) -> (root, what was built for it): several analyses and rules ask for the
# same facts about the same function body. Cleared when the next file's analysis starts.
_MEMO: dict[tuple[int, object], tuple[cst.CSTNode, Any]] = {}
_NESTED_SCOPES = frozenset({cst.FunctionDef, cst.Lambda})
T = TypeVar("T")


def memo(root: cst.CSTNode, what: object, build: Callable[[], T]) -> T:
    """`build()`, computed once per `root` and `what` until `forget_nodes`."""
    key = (id(root), what)
    kept = _MEMO.get(key)
    if kept is not None and kept[0] is root:
        return cast(T, kept[1])
    value = build()
    _MEMO[key] = (root, value)
    return value


def nodes_in(root: cst.CSTNode, nested: bool = True) -> list[cst.CSTNode]:
    """Every node under `root` (itself included) in the order libcst visits them, computed once.

    Args:
        root: a node, usually a function or its body.
        nested: also the nodes inside functions and lambdas defined under `root`.

    The list is shared: callers must not change it. `forget_nodes` drops what is kept.
    """

    def build() -> list[cst.CSTNode]:
        found: list[cst.CSTNode] = []
        _gather(root, found, root, nested)
        return found

    return memo(root, ("nodes", nested), build)


def _gather(node: cst.CSTNode, found: list[cst.CSTNode], root: cst.CSTNode, nested: bool) -> None:
    found.append(node)
    if not nested and node is not root and type(node) in _NESTED_SCOPES:
        return
    for name in field_order(node):
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            for child in value:
                if IS_NODE[type(child)]:
                    _gather(child, found, root, nested)
        elif IS_NODE[kind]:
            _gather(value, found, root, nested)


def forget_nodes() -> None:
    """Drop what `memo` and `nodes_in` keep (a new file's analysis starts)."""
    _MEMO.clear()
