"""Branch rewrites for the dynamic-branch fixer: frozen `if`/`elif` chains and torch.where merges."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import libcst as cst

from exportlint.fixers.rewrites.codemods import Edit, Replacement, keep_parens, parse_expr

_BLOCK = (cst.If, cst.For, cst.While, cst.With, cst.Try, cst.FunctionDef, cst.ClassDef)


def if_chain(head: cst.If) -> list[cst.If]:
    """`head` followed by its `elif` clauses."""
    chain = [head]
    while isinstance(chain[-1].orelse, cst.If):
        chain.append(chain[-1].orelse)
    return chain


def freeze_chain(truths: Sequence[bool | None]) -> Edit:
    """Resolve an if/elif chain whose clause tests have the given truths (None: keep the test).

    The first clause known true wins; clauses known false are dropped; from the first clause
    whose test is kept, the rest of the chain stays as written.
    """

    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.If)
        clauses = if_chain(node)
        for clause, truth in zip(clauses, truths):
            if truth is None:
                return clause.with_changes(leading_lines=node.leading_lines)
            if truth:
                return _splice(clause.body.body, node.leading_lines)
        last = clauses[-1].orelse
        if isinstance(last, cst.Else):
            return _splice(last.body.body, node.leading_lines)
        return cst.RemoveFromParent()

    return edit


def _splice(body: Sequence[cst.BaseStatement | cst.BaseSmallStatement],
            leading: Sequence[cst.EmptyLine]) -> Replacement:
    statements: list[cst.BaseStatement] = [s for s in body if isinstance(s, cst.BaseStatement)]
    if not statements:
        return cst.RemoveFromParent()
    first = statements[0]
    own = first.leading_lines if isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) else ()
    statements[0] = first.with_changes(leading_lines=[*leading, *own])
    return cst.FlattenSentinel(statements)


def where_ifexp(node: cst.CSTNode) -> Replacement:
    """`a if pred else b` -> `torch.where(pred, a, b)` (both computed, one selected)."""
    assert isinstance(node, cst.IfExp)
    call = cst.Call(parse_expr("torch.where"), [cst.Arg(_bare(node.test)), cst.Arg(_bare(node.body)),
                                                cst.Arg(_bare(node.orelse))])
    return keep_parens(node, call)


def _bare(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.with_changes(lpar=[], rpar=[]) if expr.lpar and not isinstance(
        expr, (cst.GeneratorExp, cst.Tuple)) else expr


def mergeable(node: cst.If) -> str | None:
    """Why an `if` on tensor data cannot be merged with torch.where, or None when it can.

    Mergeable: one `if`/`else` (no `elif`) whose branches hold only plain assignments to names.
    """
    if isinstance(node.orelse, cst.If):
        return "an elif chain on tensor data"
    blocks = [node.body] + ([node.orelse.body] if isinstance(node.orelse, cst.Else) else [])
    for block in blocks:
        for stmt in block.body:
            if isinstance(stmt, _BLOCK) or not isinstance(stmt, cst.SimpleStatementLine):
                return "a branch holds nested blocks"
            for small in stmt.body:
                if not isinstance(small, (cst.Assign, cst.AugAssign, cst.Pass)):
                    kind = type(small).__name__.lower()
                    return f"a branch holds a `{kind}` statement (only assignments can be merged)"
                if isinstance(small, cst.Assign) and not all(
                        isinstance(t.target, cst.Name) for t in small.targets):
                    return "a branch assigns to something other than a plain name"
    return None


def where_if(node: cst.CSTNode, pred_name: str) -> Replacement:
    """Compute both branches under renamed targets, then select each name with torch.where.

    `if p: y = f(x) else: y = g(x)` becomes `pred = p; y_if_true = f(x); y_if_false = g(x);
    y = torch.where(pred, y_if_true, y_if_false)`; a name only one branch assigns keeps its
    earlier value on the other side.
    """
    assert isinstance(node, cst.If)
    pred = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(pred_name))],
                                               _bare(node.test))], leading_lines=node.leading_lines)
    true_stmts, true_names = _renamed(_statements(node.body.body), "_if_true")
    false_body = _statements(node.orelse.body.body) if isinstance(node.orelse, cst.Else) else []
    false_stmts, false_names = _renamed(false_body, "_if_false")
    merged = []
    for name in dict.fromkeys([*true_names, *false_names]):
        yes = true_names.get(name, name)
        no = false_names.get(name, name)
        merged.append(cst.parse_statement(f"{name} = torch.where({pred_name}, {yes}, {no})"))
    return cst.FlattenSentinel([pred, *true_stmts, *false_stmts, *merged])


def _statements(body: Sequence[cst.BaseStatement] | Sequence[cst.BaseSmallStatement]
                ) -> list[cst.BaseStatement]:
    return [s for s in body if isinstance(s, cst.BaseStatement)]


def _renamed(body: Sequence[cst.BaseStatement], suffix: str
             ) -> tuple[list[cst.BaseStatement], dict[str, str]]:
    """Statements with every assigned name renamed (`y` -> `y<suffix>`) from its first store on."""
    renames: dict[str, str] = {}
    out: list[cst.BaseStatement] = []
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        small_out = []
        for small in stmt.body:
            if isinstance(small, cst.Pass):
                continue
            assert isinstance(small, (cst.Assign, cst.AugAssign))  # checked by `mergeable`
            value = small.value.visit(_Rename(renames))
            assert isinstance(value, cst.BaseExpression)
            if isinstance(small, cst.AugAssign):
                # `y += v` reads the current `y` (the outer one on its first store in the branch).
                value = cst.BinaryOperation(_Rename(renames).current(small.target),
                                            _BINARY[type(small.operator)](), value)
            for name in _store_names(small):
                renames.setdefault(name, f"{name}{suffix}")
            small_out.append(_retarget(small, value, renames))
        if small_out:
            out.append(stmt.with_changes(body=small_out))
    return out, renames


def _store_names(small: cst.BaseSmallStatement) -> list[str]:
    if isinstance(small, cst.Assign):
        return [t.target.value for t in small.targets if isinstance(t.target, cst.Name)]
    if isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name):
        return [small.target.value]
    return []


def _retarget(small: cst.BaseSmallStatement, value: cst.BaseExpression,
              renames: dict[str, str]) -> cst.BaseSmallStatement:
    if isinstance(small, cst.Assign):
        targets = [t.with_changes(target=cst.Name(renames[t.target.value]))
                   for t in small.targets if isinstance(t.target, cst.Name)]
        return small.with_changes(targets=targets, value=value)
    assert isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name)
    return cst.Assign([cst.AssignTarget(cst.Name(renames[small.target.value]))], value)


class _Rename(cst.CSTTransformer):
    def __init__(self, renames: dict[str, str]) -> None:
        self.renames = dict(renames)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return True

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute
                        ) -> cst.Attribute:
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return updated_node.with_changes(keyword=original_node.keyword)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return cst.Name(self.renames.get(updated_node.value, updated_node.value))

    def current(self, target: cst.BaseAssignTargetExpression) -> cst.Name:
        assert isinstance(target, cst.Name)
        return cst.Name(self.renames.get(target.value, target.value))


_BINARY: dict[type, type] = {
    cst.AddAssign: cst.Add, cst.SubtractAssign: cst.Subtract, cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide, cst.MatrixMultiplyAssign: cst.MatrixMultiply,
    cst.PowerAssign: cst.Power, cst.FloorDivideAssign: cst.FloorDivide, cst.ModuloAssign: cst.Modulo,
}


def cond_if(node: cst.CSTNode, tag: str) -> Replacement:
    """Both branches as local functions and `torch.cond` choosing one (an ONNX `If`).

    `if p: y = f(x) else: y = g(x)` becomes `def _if_true_<tag>(): ...; return (y_if_true,)`,
    the same for false, then `(y,) = torch.cond(p, _if_true_<tag>, _if_false_<tag>, ())`. A name
    only one branch assigns is returned unchanged (cloned, so no output aliases an input) by the
    other.
    """
    assert isinstance(node, cst.If)
    true_stmts, true_names = _renamed(_statements(node.body.body), "_if_true")
    false_body = _statements(node.orelse.body.body) if isinstance(node.orelse, cst.Else) else []
    false_stmts, false_names = _renamed(false_body, "_if_false")
    names = list(dict.fromkeys([*true_names, *false_names]))
    outputs = "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"
    parts = []
    for side, stmts, renames in (("true", true_stmts, true_names), ("false", false_stmts, false_names)):
        body = cst.Module(body=stmts).code if stmts else ""  # type: ignore[arg-type]
        returned = ", ".join(renames.get(n, f"{n}.clone()") for n in names)
        returned += "," if len(names) == 1 else ""
        parts.append(f"def _if_{side}_{tag}():\n" + textwrap.indent(body, "    ") +
                     f"    return ({returned})\n")
    test = cst.Module([]).code_for_node(_bare(node.test))
    parts.append(f"{outputs} = torch.cond({test}, _if_true_{tag}, _if_false_{tag}, ())\n")
    statements = list(cst.parse_module("".join(parts)).body)
    blank = [cst.EmptyLine(indent=False)]
    first_lines = list(node.leading_lines) or blank  # a nested def follows a blank line
    statements = [s.with_changes(leading_lines=first_lines if i == 0 else blank)
                  for i, s in enumerate(statements)]
    return cst.FlattenSentinel(statements)


def calls_submodule(node: cst.If) -> bool:
    """True when a branch calls something on `self` (a submodule or method): different work."""
    found: list[cst.Call] = []

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            func = call.func
            while isinstance(func, cst.Attribute):
                func = func.value
            if isinstance(func, cst.Name) and func.value == "self":
                found.append(call)

    node.body.visit(_Calls())
    if node.orelse is not None:
        node.orelse.visit(_Calls())
    return bool(found)
