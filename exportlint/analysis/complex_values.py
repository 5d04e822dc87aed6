"""Which expressions hold complex tensors: made by torch.polar & co, stored on self, or returned by helpers."""

from __future__ import annotations

import re

import libcst as cst

from exportlint.analysis.classes import ClassInfo
from exportlint.analysis.dataflow import FunctionFlow
from exportlint.analysis.facts import FileFacts, stored_function
from exportlint.analysis.names import dotted_name, resolve
from exportlint.analysis.params import call_argument, param_names
from exportlint.cstwalk import nodes_in

COMPLEX_DTYPES = {f"torch.{n}" for n in ("cfloat", "cdouble", "chalf", "complex32", "complex64", "complex128")}
_MAKERS = {"torch.view_as_complex", "torch.polar", "torch.complex"}
# Functions and methods whose result is real even for a complex argument.
_REALIZERS = {"view_as_real", "abs", "angle", "real", "imag", "is_complex", "type_as", "float", "numel", "size", "dim"}
# Complex ops the dynamo exporter cannot convert (measured with torch 2.13).
DYNAMO_BREAKS = {"repeat", "repeat_interleave", "expand", "tile", "unsqueeze", "exp"}
_MAX_DEPTH = 6
_COMPLEX_NAMES = {n.rsplit(".", 1)[-1] for n in COMPLEX_DTYPES | _MAKERS}
_COMPLEX_WORDS = re.compile(r"\b(" + "|".join(sorted(_COMPLEX_NAMES)) + r")\b")
# A parameter named like `freqs_cis` (cis = cos + i sin) in a function that itself builds complex values.
_CIS_NAME = re.compile(r"(^|_)cis($|_)")


class ComplexValues:
    """Complex-ness of expressions in the functions of one file."""

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self._attrs: dict[str, set[str]] = {}
        self._busy: set[tuple[int, str]] = set()
        self._sites: dict[str, list[tuple[cst.Call, cst.FunctionDef, str | None]]] | None = None
        # Helpers being evaluated for one call: their parameters are that call's arguments.
        self._calls: dict[int, tuple[cst.Call, cst.FunctionDef, str | None, bool]] = {}
        # NOTE: most files never build a complex value; a cheap look at their names settles every query.
        if facts.text:
            self.active = bool(_COMPLEX_WORDS.search(facts.text))
        else:
            roots: list[cst.CSTNode] = [*facts.functions.values(), *(c.node for c in facts.classes.values())]
            self.active = any(_COMPLEX_NAMES & _names(root) for root in roots)

    def _scopes(self) -> list[tuple[cst.FunctionDef, str | None]]:
        scopes: list[tuple[cst.FunctionDef, str | None]] = [(f, None) for f in self.facts.functions.values()]
        return scopes + [(m, c.name) for c in self.facts.classes.values() for m in c.methods.values()]

    def _nodes(self, fn: cst.FunctionDef, kinds: tuple[type[cst.CSTNode], ...]) -> list[cst.CSTNode]:
        """Nodes of `fn`'s body of the given kinds; each body is walked once (`nodes_in`)."""
        return [n for n in nodes_in(fn.body) if isinstance(n, kinds)]

    def _bindings(self, fn: cst.FunctionDef) -> list[tuple[str, cst.BaseExpression]]:
        out: list[tuple[str, cst.BaseExpression]] = []
        for node in self._nodes(fn, (cst.Assign,)):
            assert isinstance(node, cst.Assign)
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    out.append((target.target.value, node.value))
        return out

    def _returns(self, fn: cst.FunctionDef) -> list[cst.BaseExpression]:
        return [r.value for r in self._nodes(fn, (cst.Return,)) if isinstance(r, cst.Return) and r.value is not None]

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
        if init is None or not self.active:
            return found
        for node in self._nodes(init, (cst.Assign, cst.Call)):
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
            inner = func.value
            # `c.unsqueeze(2).expand(...)`: reported once, at the first op that breaks
            if isinstance(inner, cst.Call) and self.dynamo_breaks(inner, flow):
                return False
            return self.expr_is_complex(inner, flow.fn, flow.owner, 0)
        return False

    def expr_is_complex(self, expr: cst.BaseExpression, fn: cst.FunctionDef, owner: str | None, depth: int) -> bool:
        """True when `expr`, evaluated in `fn` (a method of `owner` or a module function), is complex."""
        if depth > _MAX_DEPTH or not self.active:
            return False
        if isinstance(expr, cst.Call):
            return self._call_is_complex(expr, fn, owner, depth)
        if isinstance(expr, cst.Name):
            return self._name_is_complex(expr.value, fn, owner, depth)
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
        if isinstance(expr, cst.IfExp):
            return any(self.expr_is_complex(e, fn, owner, depth) for e in (expr.body, expr.orelse))
        return False

    def _name_is_complex(self, name: str, fn: cst.FunctionDef, owner: str | None, depth: int) -> bool:
        key = (id(fn), name)
        if key in self._busy:
            return False
        self._busy.add(key)
        try:
            values = [v for t, v in self._bindings(fn) if t == name]
            if any(self.expr_is_complex(v, fn, owner, depth + 1) for v in values):
                return True
            if name not in param_names(fn):
                return False
            current = self._calls.get(id(fn))
            if current is not None:
                call, caller, caller_owner, bound = current
                arg = _argument_for(call, fn, name, bound)
                return arg is not None and self.expr_is_complex(arg, caller, caller_owner, depth + 1)
            return self._param_is_complex(fn, name, owner, depth + 1)
        finally:
            self._busy.discard(key)

    def _param_is_complex(self, fn: cst.FunctionDef, param: str, owner: str | None, depth: int) -> bool:
        """A parameter is complex when a call in this file passes a complex value for it."""
        sites = list(self._call_sites(fn, owner))
        for call, caller, caller_owner in sites:
            arg = _argument_for(call, fn, param, bound=caller_owner is not None and owner is not None)
            if arg is not None and self.expr_is_complex(arg, caller, caller_owner, depth):
                return True
        builds = any(isinstance(c, cst.Call) and self.is_maker(c, self.facts.imports) for c in self._nodes(fn, (cst.Call,)))
        return not sites and builds and bool(_CIS_NAME.search(param))

    def _call_sites(self, fn: cst.FunctionDef, owner: str | None) -> list[tuple[cst.Call, cst.FunctionDef, str | None]]:
        """Calls of `fn` in the file: by name for module functions, as `self.<name>` within its class."""
        if self._sites is None:
            self._sites = {}
            for scope, scope_owner in self._scopes():
                for call in self._nodes(scope, (cst.Call,)):
                    assert isinstance(call, cst.Call)
                    self._sites.setdefault(dotted_name(call.func) or "", []).append((call, scope, scope_owner))
        wanted = fn.name.value if owner is None else f"self.{fn.name.value}"
        return [site for site in self._sites.get(wanted, []) if owner is None or site[2] == owner]

    def _callee(self, full: str, owner: str | None) -> tuple[cst.FunctionDef | None, str | None]:
        """A function of the file called as `name(...)`, `self.method(...)`, or `self.fn(...)` where
        `__init__` stored `self.fn = fn` or `functools.partial(fn, ...)`."""
        if full in self.facts.functions:
            return self.facts.functions[full], None
        info = self.facts.classes.get(owner or "")
        if info is None or not full.startswith("self.") or full.count(".") != 1:
            return None, None
        attr = full[len("self."):]
        if attr in info.methods:
            return info.methods[attr], owner
        init = info.methods.get("__init__")
        stored = stored_function(init, attr) if init is not None else None
        if stored is not None and stored[0] in self.facts.functions:
            return self.facts.functions[stored[0]], None
        return None, None

    def read_in_forward(self, owner: str | None, attr: str) -> bool:
        """True when a forward-path method of `owner` reads `self.<attr>`."""
        for flow in self.facts.flows:
            attrs = [a for a in self._nodes(flow.fn, (cst.Attribute,)) if isinstance(a, cst.Attribute)]
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
        helper, helper_owner = self._callee(full, owner)
        if helper is not None:
            # NOTE: judged for this call: `reshape(freqs, x)` is complex only for a complex `freqs`.
            outer = self._calls.get(id(helper))
            self._calls[id(helper)] = (call, fn, owner, helper_owner is not None)
            try:
                return any(self.expr_is_complex(r, helper, helper_owner, depth + 1) for r in self._returns(helper))
            finally:
                if outer is None:
                    del self._calls[id(helper)]
                else:
                    self._calls[id(helper)] = outer
        if isinstance(func, cst.Attribute):
            return self.expr_is_complex(func.value, fn, owner, depth + 1)
        return False


def _argument_for(call: cst.Call, fn: cst.FunctionDef, param: str, bound: bool) -> cst.BaseExpression | None:
    """The argument a call passes for `param` of `fn` (keyword, or by position; `self` skipped when bound)."""
    names = [p.name.value for p in [*fn.params.posonly_params, *fn.params.params]]
    if bound and names[:1] == ["self"]:
        names = names[1:]
    return call_argument(call, param, names.index(param) if param in names else -1)


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


def _names(root: cst.CSTNode) -> set[str]:
    """The identifiers used under `root` (variables, attributes, calls)."""
    return {n.value for n in nodes_in(root) if isinstance(n, cst.Name)}
