"""numpy round trips in a method rewritten to torch ops, so the math stays in the graph.

`d = t.detach().cpu().numpy(); w = np.exp(np.clip(d, -4.0, 4.0)); return torch.from_numpy(w)`
becomes `d = t.detach(); w = torch.exp(torch.clamp(d, -4.0, 4.0)); return w`. Only numpy calls
with a torch equivalent of the same meaning are rewritten (`axis=` becomes `dim=`); any other
use of numpy in the method makes the whole rewrite refuse, with the reason.
"""

from __future__ import annotations

import libcst as cst

from exportlint.fixers.rewrites.codemods import parse_expr

# numpy function -> torch function taking the same arguments (`axis` renamed `dim`).
_SAME = {
    "exp": "exp", "log": "log", "sqrt": "sqrt", "abs": "abs", "sin": "sin", "cos": "cos",
    "tanh": "tanh", "floor": "floor", "ceil": "ceil", "round": "round", "sign": "sign",
    "sum": "sum", "mean": "mean", "argmax": "argmax", "argmin": "argmin", "where": "where",
    "stack": "stack", "concatenate": "cat", "clip": "clamp", "zeros_like": "zeros_like",
    "ones_like": "ones_like", "exp2": "exp2", "log2": "log2", "square": "square",
    "array": "tensor", "asarray": "as_tensor", "expand_dims": "unsqueeze",
}
_DTYPES = {"float32", "float64", "float16", "int64", "int32", "bool_", "uint8"}
_TO_TENSOR = {"torch.from_numpy", "torch.as_tensor", "torch.tensor", "torch.Tensor"}


def numpy_in(node: cst.CSTNode, alias: str) -> bool:
    """Whether a method (or any node) calls `.numpy()` or uses the numpy module under `alias`."""
    found: list[bool] = []

    class _Find(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if node.attr.value == "numpy" or (isinstance(node.value, cst.Name) and node.value.value == alias):
                found.append(True)

    node.visit(_Find())
    return bool(found)


class NumpyToTorch(cst.CSTTransformer):
    """The rewrite; `unsupported` collects what it could not express (then nothing is used)."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.unsupported: list[str] = []

    def _np(self, node: cst.BaseExpression) -> str | None:
        """`exp` for `np.exp`, else None."""
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and \
                node.value.value == self.alias:
            return node.attr.value
        return None

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = updated_node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "numpy" and not updated_node.args:
            return _without_cpu(func.value)
        if isinstance(func, cst.Attribute) and func.attr.value == "astype" and len(updated_node.args) == 1:
            return updated_node.with_changes(func=func.with_changes(attr=cst.Name("to")))
        code = cst.Module([]).code_for_node(func)
        if code in _TO_TENSOR and len(updated_node.args) == 1 and not updated_node.args[0].keyword and \
                _arrays(original_node.args[0].value, self.alias):
            return updated_node.args[0].value  # already a tensor once numpy is gone
        name = self._np(func)
        if name is None:
            return updated_node
        if name in ("maximum", "minimum") and len(updated_node.args) == 2:
            return self._bound(original_node, updated_node, name)
        if name not in _SAME:
            self.unsupported.append(f"`{self.alias}.{name}` has no torch rewrite here")
            return updated_node
        args = [_dim(a) for a in updated_node.args]
        return updated_node.with_changes(func=parse_expr(f"torch.{_SAME[name]}"), args=args)

    def _bound(self, original: cst.Call, updated: cst.Call, name: str) -> cst.BaseExpression:
        """`np.maximum(x, 0.0)` -> `torch.clamp(x, min=0.0)`; of two arrays, `torch.maximum`."""
        first, second = (_arrays(a.value, self.alias) for a in original.args)
        if first and second:
            return updated.with_changes(func=parse_expr(f"torch.{name}"))
        if not (first or second):
            self.unsupported.append(f"`{self.alias}.{name}` of two numbers")
            return updated
        array, bound = (updated.args[0], updated.args[1]) if first else (updated.args[1], updated.args[0])
        keyword = "min" if name == "maximum" else "max"
        equal = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
        return updated.with_changes(func=parse_expr("torch.clamp"), args=[
            array.with_changes(keyword=None, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            bound.with_changes(keyword=cst.Name(keyword), equal=equal, comma=cst.MaybeSentinel.DEFAULT)])

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        name = self._np(updated_node)
        if name in _DTYPES:
            return parse_expr(f"torch.{name.rstrip('_')}")
        return updated_node


def _without_cpu(value: cst.BaseExpression) -> cst.BaseExpression:
    """`t.detach().cpu()` -> `t.detach()`: the value stays where the graph computes it."""
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
            value.func.attr.value == "cpu" and not value.args:
        return value.func.value
    return value


def _dim(arg: cst.Arg) -> cst.Arg:
    if arg.keyword is not None and arg.keyword.value == "axis":
        return arg.with_changes(keyword=cst.Name("dim"))
    return arg


def _arrays(expr: cst.BaseExpression, alias: str) -> bool:
    """Whether an expression of the original method is (made from) a numpy value: it calls
    `.numpy()` or numpy, or reads a name. A bare number, `self.<attr>` or a string is not."""
    if isinstance(expr, (cst.Integer, cst.Float, cst.SimpleString)):
        return False
    if isinstance(expr, (cst.List, cst.Tuple)):
        # `torch.tensor([self.w / W, self.h / H])`: a list of Python numbers, unless numpy made it
        return any(numpy_in(e.value, alias) for e in expr.elements)
    if isinstance(expr, cst.UnaryOperation):
        return _arrays(expr.expression, alias)
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
        return False
    return True
