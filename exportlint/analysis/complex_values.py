"""Which expressions hold complex tensors: made by torch.polar & co, stored on self, or returned by helpers."""

from __future__ import annotations

import libcst as cst

from exportlint.analysis.classes import ClassInfo
from exportlint.analysis.dataflow import FunctionFlow
from exportlint.analysis.facts import FileFacts
from exportlint.analysis.names import dotted_name, resolve

COMPLEX_DTYPES = {f"torch.{n}" for n in ("cfloat", "cdouble", "chalf", "complex32", "complex64", "complex128")}
_MAKERS = {"torch.view_as_complex", "torch.polar", "torch.complex"}
# Functions and methods whose result is real even for a complex argument.
_REALIZERS = {"view_as_real", "abs", "angle", "real", "imag", "is_complex", "type_as", "float", "numel", "size", "dim"}
# Complex ops the dynamo exporter cannot convert (measured with torch 2.13).
DYNAMO_BREAKS = {"repeat", "repeat_interleave", "expand", "tile", "unsqueeze", "exp"}
_MAX_DEPTH = 4


class ComplexValues:
    """Complex-ness of expressions in the functions of one file."""

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self._attrs: dict[str, set[str]] = {}

    def is_maker(self, call: cst.Call, imports: dict[str, str]) -> bool:
        """`torch.view_as_complex(...)`, `torch.polar(...)`, `torch.complex(...)`."""
        return (resolve(dotted_name(call.func), imports) or "") in _MAKERS

    def is_complex_dtype(self, node: cst.BaseExpression, imports: dict[str, str]) -> bool:
        return (resolve(dotted_name(node), imports) or "") in COMPLEX_DTYPES

    def class_attrs(self, info: ClassInfo) -> set[str]:
        """Attributes of `self` that `__init__` sets to complex tensors (plain or register_buffer)."""
        cached = self._attrs.get(info.name)
        if cached is not None:
            return cached
        found: set[str] = set()
        self._attrs[info.name] = found
        init = info.methods.get("__init__")
        if init is None:
            return found
        for node in _nodes(init, (cst.Assign, cst.Call)):
            name, value = _stored(node)
            if name and value is not None and self.expr_is_complex(value, init, info.name, 0):
                found.add(name)
        return found

    def dynamo_breaks(self, call: cst.Call, flow: FunctionFlow) -> bool:
        """A complex op dynamo cannot convert: `c.repeat(...)`, `torch.exp(c)`..."""
        func = call.func
        full = resolve(dotted_name(func), flow.imports) or ""
        if full.startswith("torch.") and full[len("torch."):] in DYNAMO_BREAKS and call.args:
            return self.expr_is_complex(call.args[0].value, flow.fn, flow.owner, 0)
        if isinstance(func, cst.Attribute) and func.attr.value in DYNAMO_BREAKS and not full.startswith("torch."):
            return self.expr_is_complex(func.value, flow.fn, flow.owner, 0)
        return False

    def expr_is_complex(self, expr: cst.BaseExpression, fn: cst.FunctionDef, owner: str | None, depth: int) -> bool:
        """True when `expr`, evaluated in `fn` (a method of `owner` or a module function), is complex."""
        if depth > _MAX_DEPTH:
            return False
        if isinstance(expr, cst.Call):
            return self._call_is_complex(expr, fn, owner, depth)
        if isinstance(expr, cst.Name):
            values = [v for t, v in _bindings(fn) if t == expr.value]
            return any(self.expr_is_complex(v, fn, owner, depth + 1) for v in values)
        if isinstance(expr, cst.Attribute):
            name = dotted_name(expr) or ""
            info = self.facts.classes.get(owner or "")
            if name.startswith("self.") and name.count(".") == 1 and info is not None:
                return expr.attr.value in self.class_attrs(info)
            return False
        if isinstance(expr, cst.BinaryOperation):
            return any(self.expr_is_complex(e, fn, owner, depth) for e in (expr.left, expr.right))
        if isinstance(expr, (cst.List, cst.Tuple)):
            return any(self.expr_is_complex(el.value, fn, owner, depth) for el in expr.elements)
        if isinstance(expr, cst.Subscript):
            return self.expr_is_complex(expr.value, fn, owner, depth)
        return False

    def read_in_forward(self, owner: str | None, attr: str) -> bool:
        """True when a forward-path method of `owner` reads `self.<attr>`."""
        for flow in self.facts.flows:
            attrs = [a for a in _nodes(flow.fn, (cst.Attribute,)) if isinstance(a, cst.Attribute)]
            if flow.owner == owner and any(dotted_name(a) == f"self.{attr}" for a in attrs):
                return True
        return False

    def _call_is_complex(self, call: cst.Call, fn: cst.FunctionDef, owner: str | None, depth: int) -> bool:
        imports = self.facts.imports
        func = call.func
        full = resolve(dotted_name(func), imports) or ""
        if full in _MAKERS or any(self.is_complex_dtype(a.value, imports) for a in call.args):
            return True
        short = full.rsplit(".", 1)[-1] if full else (func.attr.value if isinstance(func, cst.Attribute) else "")
        if short in _REALIZERS:
            return False
        if full.startswith("torch."):
            return any(self.expr_is_complex(a.value, fn, owner, depth + 1) for a in call.args)
        helper = self.facts.functions.get(full)
        if helper is not None:
            return any(self.expr_is_complex(r, helper, None, depth + 1) for r in _returns(helper))
        if isinstance(func, cst.Attribute):
            return self.expr_is_complex(func.value, fn, owner, depth + 1)
        return False


def _stored(node: cst.CSTNode) -> tuple[str, cst.BaseExpression | None]:
    """(attribute, value) for `self.a = value` and `self.register_buffer("a", value)`."""
    if isinstance(node, cst.Assign):
        for target in node.targets:
            name = dotted_name(target.target) or ""
            if name.startswith("self.") and name.count(".") == 1:
                return name[len("self."):], node.value
    if isinstance(node, cst.Call) and dotted_name(node.func) == "self.register_buffer" and len(node.args) > 1:
        key = node.args[0].value
        if isinstance(key, cst.SimpleString):
            return str(key.evaluated_value), node.args[1].value
    return "", None


def _bindings(fn: cst.FunctionDef) -> list[tuple[str, cst.BaseExpression]]:
    out: list[tuple[str, cst.BaseExpression]] = []
    for node in _nodes(fn, (cst.Assign,)):
        assert isinstance(node, cst.Assign)
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                out.append((target.target.value, node.value))
    return out


def _returns(fn: cst.FunctionDef) -> list[cst.BaseExpression]:
    return [r.value for r in _nodes(fn, (cst.Return,)) if isinstance(r, cst.Return) and r.value is not None]


def _nodes(fn: cst.FunctionDef, kinds: tuple[type[cst.CSTNode], ...]) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class _V(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, kinds):
                found.append(node)
            return True

    fn.body.visit(_V())
    return found
