"""torch.cond for an `if` on tensor data whose branches run different submodules (dynamo only)."""

from __future__ import annotations

import textwrap

import libcst as cst

from exportlint.fixers.rewrites.branches import bare, rename_branch, statements_of
from exportlint.fixers.rewrites.codemods import Replacement


def cond_if(node: cst.CSTNode, tag: str, drop: frozenset[str] = frozenset()) -> Replacement:
    """Both branches as local functions and `torch.cond` choosing one (an ONNX `If`).

    `if p: y = f(x) else: y = g(x)` becomes `def _if_true_<tag>(): ...; return (y_if_true,)`,
    the same for false, then `(y,) = torch.cond(p, _if_true_<tag>, _if_false_<tag>, ())`. A name
    only one branch assigns is returned unchanged (cloned, so no output aliases an input) by the
    other.
    """
    assert isinstance(node, cst.If)
    true = rename_branch(statements_of(node.body.body), "_if_true")
    false_body = statements_of(node.orelse.body.body) if isinstance(node.orelse, cst.Else) else []
    false = rename_branch(false_body, "_if_false")
    true_stmts, true_names, false_stmts, false_names = true.stmts, true.renames, false.stmts, false.renames
    names = list(dict.fromkeys(n for n in [*true_names, *false_names] if n not in drop))
    outputs = "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"
    parts = []
    for side, stmts, renames in (("true", true_stmts, true_names), ("false", false_stmts, false_names)):
        body = cst.Module(body=stmts).code if stmts else ""  # type: ignore[arg-type]
        returned = ", ".join(renames.get(n, f"{n}.clone()") for n in names)
        returned += "," if len(names) == 1 else ""
        parts.append(f"def _if_{side}_{tag}():\n" + textwrap.indent(body, "    ") +
                     f"    return ({returned})\n")
    test = cst.Module([]).code_for_node(bare(node.test))
    parts.append(f"{outputs} = torch.cond({test}, _if_true_{tag}, _if_false_{tag}, ())\n")
    statements = list(cst.parse_module("".join(parts)).body) + true.epilogue()
    blank = [cst.EmptyLine(indent=False)]
    first_lines = list(node.leading_lines) or blank  # a nested def follows a blank line
    statements = [s.with_changes(leading_lines=first_lines if i == 0 else blank if i <= 2 else [])
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
