"""Where a value goes: parent links inside one function, and the places a local name is read."""

from __future__ import annotations

import libcst as cst

from exportlint.analysis.names import dotted_name
from exportlint.cstwalk import IS_NODE, memo, visit

# Children that bind or name something rather than read a variable.
_BINDING_PARENTS = (cst.AssignTarget, cst.Param, cst.ImportAlias, cst.AsName)


class Parents:
    """Parent links for every node under one root (usually a FunctionDef)."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self._up: dict[cst.CSTNode, cst.CSTNode] = {}
        self.nodes: list[cst.CSTNode] = []
        stack: list[cst.CSTNode] = [root]
        while stack:
            node = stack.pop()
            self.nodes.append(node)
            kids = child_nodes(node)
            for kid in kids:
                self._up[kid] = node
            stack.extend(reversed(kids))

    @classmethod
    def of(cls, root: cst.CSTNode) -> Parents:
        """The Parents of `root`, built once per file's analysis (see `cstwalk.memo`)."""
        return memo(root, cls, lambda: cls(root))

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._up.get(node)

    def ancestors(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        """The parents of `node`, nearest first, up to the root."""
        chain: list[cst.CSTNode] = []
        current = self._up.get(node)
        while current is not None:
            chain.append(current)
            current = self._up.get(current)
        return chain

    def loads(self, name: str) -> list[cst.Name]:
        """Every read of the local variable `name` under the root, in source order."""
        return [n for n in self.nodes if isinstance(n, cst.Name) and n.value == name and self.is_load(n)]

    def is_load(self, node: cst.Name) -> bool:
        """False for names that are assignment or loop targets, attribute names, keywords, params."""
        parent = self._up.get(node)
        if parent is None or isinstance(parent, _BINDING_PARENTS):
            return False
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            return False
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            return False
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.target is node:
            return False
        if isinstance(parent, (cst.AugAssign, cst.AnnAssign, cst.NamedExpr)) and parent.target is node:
            return False
        if isinstance(parent, (cst.FunctionDef, cst.ClassDef)) and parent.name is node:
            return False
        return not (isinstance(parent, (cst.Element, cst.Tuple, cst.List)) and self._in_target(parent))

    def _in_target(self, node: cst.CSTNode) -> bool:
        """True when a tuple/list element sits in an assignment or loop target."""
        child, current = node, self._up.get(node)
        while isinstance(current, (cst.Element, cst.Tuple, cst.List, cst.StarredElement)):
            child, current = current, self._up.get(current)
        if isinstance(current, cst.AssignTarget):
            return True
        return isinstance(current, (cst.For, cst.CompFor)) and current.target is child

    def enclosing_tests(self, node: cst.CSTNode) -> list[cst.BaseExpression]:
        """The tests of the `if`/`while`/conditional expressions whose body holds `node`."""
        tests: list[cst.BaseExpression] = []
        child: cst.CSTNode = node
        for up in self.ancestors(node):
            if isinstance(up, (cst.If, cst.While, cst.IfExp)) and up.test is not child:
                tests.append(up.test)
            child = up
        return tests

    def in_test(self, node: cst.CSTNode) -> bool:
        """True when `node` is part of an `if`/`while`/conditional-expression test or an assert."""
        child: cst.CSTNode = node
        for up in self.ancestors(node):
            if isinstance(up, (cst.If, cst.While, cst.IfExp)) and up.test is child:
                return True
            if isinstance(up, cst.Assert) and up.test is child:
                return True
            if isinstance(up, (cst.SimpleStatementLine, cst.FunctionDef)):
                return False
            child = up
        return False


def mentions(expr: cst.CSTNode, *needles: str) -> bool:
    """True when a dotted name inside `expr` ends with one of `needles` (`cuda.is_available`)."""
    hits: list[str] = []

    class _V(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            name = dotted_name(node) or ""
            if any(name.endswith(n) for n in needles):
                hits.append(name)

        def visit_Name(self, node: cst.Name) -> None:
            if node.value in needles:
                hits.append(node.value)

    visit(expr, _V())
    return bool(hits)


def child_nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The direct children of a node, in field order."""
    children: list[cst.CSTNode] = []
    for name in node.__dataclass_fields__:
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            children.extend(v for v in value if IS_NODE[type(v)])
        elif IS_NODE[kind]:
            children.append(value)
    return children
