"""Boolean tensors: which expressions are masks, and which tensor a mask was computed from."""

from __future__ import annotations

import libcst as cst

from exportlint.analysis.control import Structure
from exportlint.analysis.dataflow import BOOL_OPS, MASK_NAME, NOT_VALUE_TESTS, FunctionFlow
from exportlint.analysis.names import dotted_name
from exportlint.analysis.params import annotation_text, named_params
from exportlint.analysis.values import Form

# Tensor methods and torch functions that return a boolean tensor: the dataflow's, and their
# spelled-out names.
_BOOL_OPS = BOOL_OPS | {"isneginf", "isposinf", "greater", "greater_equal", "less", "less_equal",
                        "not_equal", "signbit"}
_MAX_DEPTH = 4


def is_bool_tensor(flow: FunctionFlow, structure: Structure, expr: cst.BaseExpression, depth: int = 0) -> bool:
    """True when `expr` is a boolean tensor: a tensor comparison, `~m`, `a & b`, `.bool()`, `isnan` ...,
    or a local name assigned from one, or a parameter annotated `BoolTensor`."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(expr, cst.Comparison):
        return all(not isinstance(c.operator, NOT_VALUE_TESTS) for c in expr.comparisons) and any(
            flow.value(e).form is Form.TENSOR for e in [expr.left, *(c.comparator for c in expr.comparisons)])
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.BitInvert):
        return is_bool_tensor(flow, structure, expr.expression, depth + 1)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.BitAnd, cst.BitOr, cst.BitXor)):
        return any(is_bool_tensor(flow, structure, side, depth + 1) for side in (expr.left, expr.right))
    if isinstance(expr, cst.Call):
        return _bool_call(flow, expr)
    if isinstance(expr, cst.Name):
        return _bool_name(flow, structure, expr, depth)
    return False


def same_base(flow: FunctionFlow, structure: Structure, base: cst.BaseExpression, mask: cst.BaseExpression) -> bool:
    """True when the mask was computed from `base` itself (`x[x > 0] = ...`), so it has its shape."""
    target = _root(base)
    return target is not None and target in structure.roots(mask)


def _bool_call(flow: FunctionFlow, call: cst.Call) -> bool:
    func = call.func
    last = func.attr.value if isinstance(func, cst.Attribute) else (dotted_name(func) or "")
    if last in _BOOL_OPS:
        return isinstance(call.func, cst.Attribute)
    if last in ("any", "all") and call.args and isinstance(call.func, cst.Attribute):
        return flow.value(call.func.value).form is Form.TENSOR
    if last == "to" and call.args:
        return (dotted_name(call.args[0].value) or "").endswith("bool")
    return False


def _bool_name(flow: FunctionFlow, structure: Structure, name: cst.Name, depth: int) -> bool:
    sites = structure.reaching(name.value, name)
    if not sites:
        for p in named_params(flow.fn):
            if p.name.value == name.value:
                return "BoolTensor" in annotation_text(p) or bool(MASK_NAME.search(name.value))
        return False
    return any(s.kind == "assign" and s.value is not None and is_bool_tensor(flow, structure, s.value, depth + 1)
               for s in sites)


def _root(expr: cst.BaseExpression) -> str | None:
    """The variable an expression starts from: `boxes` for `boxes[:, 0]` or `boxes.sigmoid()`."""
    while True:
        if isinstance(expr, cst.Name):
            return expr.value
        if isinstance(expr, cst.Subscript):
            expr = expr.value
        elif isinstance(expr, cst.Attribute):
            return dotted_name(expr)
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            expr = expr.func.value
        else:
            return None
