"""Sizes that tensor values decide, kept in the graph.

`picked = x[mask]; if picked.numel() > 0:` tests a size the mask decides: the legacy tracer
bakes the example's answer and dynamo fails on the guard. Written as `_size(picked)`, the size
is a tensor computed in the graph (a sum of ones shaped like `picked`), and a branch on it can be
merged with torch.where like any other test on tensor data.
"""

from __future__ import annotations

import libcst as cst

from exportlint.analysis.names import dotted_name
from exportlint.fixers.rewrites.codemods import Edit, keep_parens, parse_expr
from exportlint.fixers.rewrites.masked_loop import tensor_test

SIZE_HELPER = '''
def _size(x: Tensor, dim: int | None = None) -> Tensor:
    """`x.numel()` (no `dim`) or `x.shape[0]` (`dim=0`) as a 0-d tensor computed in the graph,
    for a size that tensor values decide (`x[mask]`, `nonzero`), so a test on it is not baked
    in. (Rows are counted as 0 when another axis of `x` has size 0.)"""
    ones = torch.ones_like(x, dtype=torch.int64)
    if dim is None:
        return ones.sum()
    return ones.sum(dim).flatten()[:1].sum()
'''


def size_queries(test: cst.BaseExpression) -> dict[cst.CSTNode, Edit]:
    """Edits turning each size query of a name in `test` (`p.numel()`, `p.shape[0]`, `p.size(0)`,
    `len(p)`) into `_size(p)` / `_size(p, 0)`, and its `and` / `or` / `not` into tensor logic."""
    edits: dict[cst.CSTNode, Edit] = {}

    class _V(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
                if func.attr.value in ("numel", "nelement") and not node.args:
                    edits[node] = _replace(func.value.value, None)
                elif func.attr.value == "size" and len(node.args) == 1 and _axis(node.args[0].value) == 0:
                    edits[node] = _replace(func.value.value, 0)
            elif dotted_name(func) == "len" and len(node.args) == 1 and isinstance(node.args[0].value, cst.Name):
                edits[node] = _replace(node.args[0].value.value, 0)

        def visit_Subscript(self, node: cst.Subscript) -> None:
            base = node.value
            if isinstance(base, cst.Attribute) and base.attr.value == "shape" and \
                    isinstance(base.value, cst.Name) and len(node.slice) == 1 and \
                    isinstance(node.slice[0].slice, cst.Index):
                if _axis(node.slice[0].slice.value) == 0:
                    edits[node] = _replace(base.value.value, 0)

    test.visit(_V())
    if edits and isinstance(test, (cst.BooleanOperation, cst.UnaryOperation)):
        edits[test] = lambda updated: keep_parens(test, parse_expr(tensor_test(updated)))  # type: ignore[arg-type]
    return edits


def _axis(expr: cst.BaseExpression) -> int | None:
    """The axis a literal names; only axis 0 is rewritten (a selection's size is data along its
    first axis; later axes keep their static size, a Python number the test may compare)."""
    return int(expr.value) if isinstance(expr, cst.Integer) else None


def _replace(name: str, axis: int | None) -> Edit:
    text = f"_size({name})" if axis is None else f"_size({name}, {axis})"
    return lambda updated: keep_parens(updated, parse_expr(text))  # type: ignore[arg-type]
