"""Per-function dataflow: the abstract value of every local name and expression.

Flow-insensitive on purpose: a name's value is the join of everything assigned to it. That
over-approximates dependencies a little and never misses one, which is the trade a linter wants.
"""

from __future__ import annotations

import re

import libcst as cst

from exportlint.analysis.interpret import Interpreter, bind_loop_target
from exportlint.analysis.names import dotted_name, resolve
from exportlint.analysis.params import param_value
from exportlint.analysis.values import (
    BOOLEAN,
    CONFIG,
    CONST,
    MODULE,
    RAGGED,
    TENSOR,
    Dep,
    Form,
    Val,
    join,
    lookup,
    scalar,
)
from exportlint.cstwalk import nodes_in, visit

_SHAPE_METHODS = {"size", "dim", "numel", "nelement", "stride", "ndimension"}
_DATA_METHODS = {"item", "tolist", "numpy"}
_CONFIG_METHODS = {"is_floating_point", "is_complex", "get_device", "is_contiguous", "element_size"}
_SHAPE_ATTRS = {"shape", "ndim"}
_CONFIG_ATTRS = {"dtype", "device", "is_cuda", "requires_grad", "layout", "is_sparse", "training"}
_TORCH_CONFIG_FUNCS = {
    "torch.is_tensor", "torch.is_grad_enabled", "torch.is_floating_point", "torch.device",
    "torch.jit.is_scripting", "torch.jit.is_tracing", "torch.onnx.is_in_onnx_export",
    "torch.compiler.is_compiling", "torch.compiler.is_exporting", "torch._dynamo.is_compiling",
    "torch.get_default_dtype", "torch.is_autocast_enabled", "torch.finfo", "torch.iinfo",
}
# Library helpers that return an image's sizes as Python ints (torchvision's functional API):
# what they give is a shape, whatever tensor they are handed.
_SIZE_FUNCS = frozenset(
    f"torchvision.transforms.{api}functional.{name}"
    for api in ("", "v2.")
    for name in ("get_dimensions", "get_image_size", "get_image_num_channels", "get_size",
                 "get_num_channels", "_get_image_size", "_get_image_num_channels")
)
# Functions and methods named like predicates return Python bools, not tensors.
_PREDICATE = re.compile(r"^_*(is|has|have|should|will|can|use|uses|needs?|check)_|_(enabled|available|supported)$")
# torch namespaces whose functions answer questions about the runtime, not about tensors.
_TORCH_RUNTIME_PREFIXES = ("torch.backends.", "torch.distributed.", "torch.cuda.", "torch.overrides.",
                           "torch._C.", "torch.jit.", "torch.compiler.", "torch._dynamo.", "torch.utils.")
_PY_CONFIG_FUNCS = {"isinstance", "hasattr", "getattr", "callable", "type", "id", "str", "repr"}
_PY_DATA_CASTS = {"int", "float", "bool", "complex"}
# Ops whose output size tensor values decide; ops that give a boolean tensor (`masks` adds the
# spelled-out comparisons); reductions, whose result without a `dim` is one element whatever the
# input's size.
_RAGGED_OPS = {"masked_select", "nonzero", "argwhere", "unique", "unique_consecutive"}
BOOL_OPS = frozenset({"bool", "logical_not", "logical_and", "logical_or", "logical_xor", "isnan", "isinf",
                      "isfinite", "eq", "ne", "gt", "ge", "lt", "le", "isin", "isclose"})
# Comparison operators that test identity or membership, not tensor values.
NOT_VALUE_TESTS = (cst.Is, cst.IsNot, cst.In, cst.NotIn)
# Unannotated tensor parameters whose name says they hold a boolean mask.
MASK_NAME = re.compile(r"(^|_)(mask|keep|valid|selected)s?$")
_REDUCTIONS = {"sum", "mean", "max", "min", "amax", "amin", "any", "all", "prod", "std", "var",
               "norm", "argmax", "argmin", "count_nonzero", "logsumexp", "median", "nansum", "nanmean"}
# Size queries of a ragged tensor that are data: the whole size, or its first axis.
_SIZE_QUERIES = {"size", "numel", "nelement"}


class FunctionFlow:
    """Abstract values for one function body, given the values of its parameters."""

    def __init__(
        self,
        fn: cst.FunctionDef,
        owner: str | None,
        attrs: dict[str, Val],
        methods: frozenset[str],
        imports: dict[str, str],
        params: dict[str, Val],
        returns: dict[str, Val] | None = None,
    ) -> None:
        self.fn, self.owner, self.attrs, self.methods, self.imports = fn, owner, attrs, methods, imports
        # What self's methods return, once known (the reachability pass fills it in a second round).
        self.returns: dict[str, Val] = returns or {}
        self.env: dict[str, Val] = dict(params)
        self.method_refs: dict[str, set[str]] = {}
        # The methods of self whose calls were evaluated: only they make `returns` matter.
        self.called_methods: set[str] = set()
        self._memo: dict[cst.CSTNode, Val] = {}
        self._fresh = False
        self._solve()

    @property
    def symbol(self) -> str:
        return f"{self.owner}.{self.fn.name.value}" if self.owner else self.fn.name.value

    # -- public queries -------------------------------------------------------------------------
    def value(self, expr: cst.BaseExpression) -> Val:
        """The abstract value of an expression of this function."""
        cached = None if self._fresh else self._memo.get(expr)
        if cached is None:
            cached = self._eval(expr)
            self._memo[expr] = cached
        return cached

    def return_value(self) -> Val:
        """The join of what this function returns (CONST when it returns nothing)."""
        values = [self.value(r.value) for r in _returns(self.fn) if r.value is not None]
        return join(*values) if values else CONST

    def decision(self, expr: cst.BaseExpression) -> Dep:
        """What `if <expr>:` depends on."""
        return self.value(expr).decision

    def legacy_miss(self, expr: cst.BaseExpression) -> bool:
        """Whether `expr` comes from a lookup the legacy tracer gets wrong (see Val.legacy_miss)."""
        return self.value(expr).legacy_miss

    def iter_element(self, expr: cst.BaseExpression) -> Val:
        """The value of each element a `for` loop over `expr` binds."""
        if isinstance(expr, cst.Call):
            name = dotted_name(expr.func)
            if name == "range":
                # the counter of pass k is start + k * step: the stop decides how many passes
                # run (the loop's trip count, see loop_count), not what each pass's counter holds
                args = [a.value for a in expr.args if a.keyword is None]
                kept = [args[0]] if len(args) == 2 else [args[0], args[2]] if len(args) == 3 else []
                return scalar(join(CONST, *(self.value(a) for a in kept)).dep)
            if name in ("enumerate", "zip", "reversed", "sorted", "list", "tuple") and expr.args:
                return join(*(self.iter_element(a.value) for a in expr.args))
        it = self.value(expr)
        if it.form is Form.TLIST:
            return TENSOR
        if it.form is Form.TENSOR:
            return TENSOR
        if it.form is Form.DICT:
            return Val(Form.DICT, max(it.dep, Dep.LAYOUT))
        if it.form is Form.MODULE:
            return MODULE
        return it

    def loop_count(self, expr: cst.BaseExpression) -> Dep:
        """What the trip count of `for _ in expr` depends on."""
        if isinstance(expr, cst.Call) and dotted_name(expr.func) == "range":
            return self._args_join(expr).dep
        if isinstance(expr, cst.Call) and dotted_name(expr.func) in ("enumerate", "zip", "reversed") and expr.args:
            return max(self.loop_count(a.value) for a in expr.args)
        it = self.value(expr)
        if it.form is Form.TENSOR:
            return Dep.DATA if it.ragged else Dep.SHAPE
        if it.form in (Form.TLIST, Form.DICT):
            return max(it.dep, Dep.LAYOUT)
        if it.form is Form.MODULE:
            return Dep.CONFIG
        return it.dep

    # -- solving --------------------------------------------------------------------------------
    def _solve(self) -> None:
        self._fresh = True
        try:
            Interpreter(self).run(self.fn.body)
        finally:
            self._fresh = False

    def assign(self, target: cst.BaseExpression, val: Val, value: cst.BaseExpression | None, loop: bool = False) -> None:
        """Bind `target` (a name or a tuple/list of targets) to `val` at the current program point."""
        if isinstance(target, cst.Name):
            self.env[target.value] = val
            refs = {n for n in _self_method_refs(value) if n in self.methods} if value is not None else set()
            if refs:
                self.method_refs.setdefault(target.value, set()).update(refs)
        elif isinstance(target, (cst.Tuple, cst.List)):
            parts = value.elements if isinstance(value, (cst.Tuple, cst.List)) and not loop else None
            for i, el in enumerate(target.elements):
                sub = val
                if parts is not None and i < len(parts) and not isinstance(parts[i], cst.StarredElement):
                    sub = self.value(parts[i].value)
                elif val.form is Form.TLIST:
                    sub = TENSOR
                self.assign(el.value, sub, None, loop)
        elif isinstance(target, cst.StarredElement):
            self.assign(target.value, val, None, loop)
        else:
            self.value(target)

    # -- evaluation -----------------------------------------------------------------------------
    def _eval(self, e: cst.BaseExpression) -> Val:
        if isinstance(e, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)):
            return CONST
        if isinstance(e, cst.Name):
            return self._name(e.value)
        if isinstance(e, cst.Attribute):
            return self._attribute(e)
        if isinstance(e, cst.Call):
            return self._call(e)
        if isinstance(e, cst.Subscript):
            return self._subscript(e)
        if isinstance(e, cst.BinaryOperation):
            left, right = self.value(e.left), self.value(e.right)
            both = join(left, right)
            if isinstance(e.operator, (cst.BitAnd, cst.BitOr, cst.BitXor)) and (left.boolean or right.boolean):
                return Val(Form.TENSOR, Dep.DATA, both.legacy_miss, both.ragged, boolean=True)
            return both
        if isinstance(e, cst.UnaryOperation):
            inner = self.value(e.expression)
            return scalar(inner.decision) if isinstance(e.operator, cst.Not) and inner.form is not Form.TENSOR else inner
        if isinstance(e, cst.BooleanOperation):
            return join(self.value(e.left), self.value(e.right))
        if isinstance(e, cst.Comparison):
            return self._comparison(e)
        if isinstance(e, cst.IfExp):
            return join(self.value(e.body), self.value(e.orelse), scalar(self.decision(e.test)))
        if isinstance(e, (cst.Tuple, cst.List, cst.Set)):
            return self._sequence(e)
        if isinstance(e, cst.Dict):
            return Val(Form.DICT, Dep.CONST)
        if isinstance(e, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
            saved = dict(self.env)
            try:
                return self._comprehension(e)
            finally:
                self.env = saved
        if isinstance(e, cst.NamedExpr):
            return self.value(e.value)
        if isinstance(e, cst.Await):
            return self.value(e.expression)
        return CONST

    def _name(self, name: str) -> Val:
        if name in self.env:
            return self.env[name]
        if name in ("True", "False", "None"):
            return CONST
        return CONST

    def _attribute(self, e: cst.Attribute) -> Val:
        attr = e.attr.value
        if isinstance(e.value, cst.Name) and e.value.value == "self":
            if attr in self.methods:
                return Val(Form.METHOD, Dep.CONFIG)
            return self.attrs.get(attr, CONFIG)
        base = self.value(e.value)
        if base.form is Form.TENSOR:
            if attr in _SHAPE_ATTRS:
                return scalar(Dep.DATA if base.ragged and attr == "shape" else Dep.SHAPE)
            if attr in _CONFIG_ATTRS or attr.startswith("is_"):
                return CONFIG
            return RAGGED if base.ragged else TENSOR
        if base.form is Form.MODULE:
            return TENSOR if attr in ("weight", "bias") else CONFIG
        if base.form is Form.VALUE and base.dep == Dep.CONST:
            return CONST
        return base

    def _call(self, e: cst.Call) -> Val:
        func = e.func
        if isinstance(func, cst.Attribute):
            return self._method_call(e, func)
        name = dotted_name(func)
        full = resolve(name, self.imports) or ""
        if name in self.method_refs or (name in self.env and self.env[name].form is Form.METHOD):
            return join(TENSOR, self._args_join(e))
        if name == "len" and e.args:
            arg = self.value(e.args[0].value)
            if arg.form is Form.TENSOR:
                return scalar(Dep.DATA if arg.ragged else Dep.SHAPE)
            return scalar(max(arg.dep, Dep.LAYOUT) if arg.form in (Form.TLIST, Form.DICT) else arg.dep)
        if name in _PY_DATA_CASTS and e.args:
            arg = self.value(e.args[0].value)
            return scalar(Dep.DATA if arg.form is Form.TENSOR else arg.dep)
        if name in _PY_CONFIG_FUNCS:
            return scalar(max(Dep.CONFIG, min(self._args_join(e).dep, Dep.LAYOUT)))
        if name in ("list", "tuple", "sorted", "reversed") and e.args:
            return self.value(e.args[0].value)
        if name in ("dict",):
            return Val(Form.DICT, self._args_join(e).dep)
        known = _library_result(full)
        if known is not None:
            return known
        if full.startswith(("torch.", "numpy.", "np.")):
            if full.endswith(".Size"):
                return scalar(Dep.SHAPE)
            return self._torch_call(full.rsplit(".", 1)[-1], e)
        return self._args_join(e)

    def _method_call(self, e: cst.Call, func: cst.Attribute) -> Val:
        attr = func.attr.value
        recv = func.value
        if isinstance(recv, cst.Name) and recv.value == "self":
            if attr in self.methods:
                self.called_methods.add(attr)
                if attr in self.returns:
                    # a method's summary joins every caller's arguments: one caller's ragged
                    # argument says nothing about this call's result
                    back = self.returns[attr]
                    return back.unmarked() if back.form is Form.TENSOR else back
                if _PREDICATE.search(attr):
                    return CONFIG
                return join(TENSOR, self._args_join(e)) if e.args else TENSOR
            held = self.attrs.get(attr, CONFIG)
            return TENSOR if held.form in (Form.MODULE, Form.TENSOR) else join(held, self._args_join(e))
        base = self.value(recv)
        full = resolve(dotted_name(func), self.imports) or ""
        known = _library_result(full)
        if known is not None:
            return known
        if base.form is not Form.TENSOR and _PREDICATE.search(attr):
            return CONFIG
        if full.startswith(("torch.", "numpy.", "np.")):
            return self._torch_call(attr, e) if not full.endswith(".Size") else scalar(Dep.SHAPE)
        return self._method_on(base, attr, e)

    def _torch_call(self, name: str, e: cst.Call) -> Val:
        """A torch function: ragged when its output size is data (or it keeps a ragged input's
        size), boolean for comparisons and logical ops."""
        positional = [a for a in e.args if a.keyword is None and not a.star]
        if name in _RAGGED_OPS or (name == "where" and len(positional) == 1 and len(e.args) == 1):
            return RAGGED
        if name in BOOL_OPS:
            return Val(Form.TENSOR, Dep.DATA, ragged=self._ragged_args(e), boolean=True)
        if name in _REDUCTIONS and len(e.args) == 1:
            return TENSOR
        return RAGGED if self._ragged_args(e) else TENSOR

    def _ragged_args(self, e: cst.Call) -> bool:
        return any(self.value(a.value).ragged for a in e.args)

    def _method_on(self, base: Val, attr: str, e: cst.Call) -> Val:
        if base.form is Form.TENSOR:
            if attr in _SHAPE_METHODS:
                return scalar(Dep.DATA if base.ragged and attr in _SIZE_QUERIES and not _later_axis(e)
                              else Dep.SHAPE)
            if attr in _DATA_METHODS:
                return scalar(Dep.DATA)
            if attr in _CONFIG_METHODS:
                return CONFIG
            if attr in _RAGGED_OPS:
                return RAGGED
            if attr in BOOL_OPS:
                return Val(Form.TENSOR, Dep.DATA, ragged=base.ragged, boolean=True)
            if base.ragged and not (attr in _REDUCTIONS and not e.args):
                return RAGGED
            return TENSOR
        if base.form is Form.DICT:
            if attr in ("get", "pop", "setdefault", "__getitem__") and e.args:
                return lookup(base, self.value(e.args[0].value))
            if attr in ("items", "values", "keys"):
                return Val(Form.DICT, max(base.dep, Dep.LAYOUT), base.legacy_miss)
            return base
        if base.form is Form.TLIST:
            if attr in ("index", "count"):
                return scalar(Dep.LAYOUT)
            if attr == "pop":
                return TENSOR
            return base
        if base.form is Form.MODULE:
            return TENSOR
        return join(base, self._args_join(e))

    def _subscript(self, e: cst.Subscript) -> Val:
        base = self.value(e.value)
        slices = [self._slice_value(s.slice) for s in e.slice]
        index = join(*slices)
        if _shape_of(e.value) and base.dep == Dep.DATA and len(e.slice) == 1 and _later_axis_index(e.slice[0].slice):
            return scalar(Dep.SHAPE)  # `picked.shape[1]`: only a ragged tensor's first axis is data
        if base.form is Form.TENSOR:
            if any(v.form is Form.TENSOR and (v.boolean or v.ragged) for v in slices) or \
                    any(self._mask_parameter(s.slice) for s in e.slice):
                return RAGGED  # `boxes[keep]`, `x[idx]` with idx from nonzero
            if base.ragged and not all(_int_literal(s.slice) for s in e.slice):
                return RAGGED
            return TENSOR
        if base.form is Form.TLIST:
            return TENSOR if all(isinstance(s.slice, cst.Index) for s in e.slice) else base
        if base.form is Form.DICT:
            return lookup(base, index)
        if base.form is Form.MODULE:
            return MODULE
        return scalar(max(base.dep, index.dep))

    def _slice_value(self, s: cst.BaseSlice) -> Val:
        if isinstance(s, cst.Index):
            return self.value(s.value)
        assert isinstance(s, cst.Slice)
        return join(*(self.value(p) for p in (s.lower, s.upper, s.step) if p is not None))

    def _comparison(self, e: cst.Comparison) -> Val:
        out = self._compare(e)
        if out.form is Form.TENSOR and not any(isinstance(c.operator, NOT_VALUE_TESTS) for c in e.comparisons):
            return Val(Form.TENSOR, Dep.DATA, out.legacy_miss, out.ragged, boolean=True)
        return out

    def _mask_parameter(self, s: cst.BaseSlice) -> bool:
        """An unannotated forward parameter named like a mask (`keep`, `valid_mask`) used as an index."""
        if not (isinstance(s, cst.Index) and isinstance(s.value, cst.Name)):
            return False
        name = s.value.value
        val = self.env.get(name)
        return val is not None and val.form is Form.TENSOR and not val.ragged and \
            any(p.name.value == name for p in self.fn.params.params) and bool(MASK_NAME.search(name))

    def _compare(self, e: cst.Comparison) -> Val:
        left = self.value(e.left)
        vals = [left]
        for comp in e.comparisons:
            right = self.value(comp.comparator)
            if isinstance(comp.operator, (cst.Is, cst.IsNot)):
                vals.append(_none_test(left, right))
                vals[0] = CONST
            elif isinstance(comp.operator, (cst.In, cst.NotIn)) and right.form in (Form.DICT, Form.TLIST):
                found = lookup(right, left) if right.form is Form.DICT else right
                vals.append(scalar(max(Dep.LAYOUT, found.dep), found.legacy_miss))
                vals[0] = CONST
            else:
                vals.append(right)
        return join(*vals)

    def _sequence(self, e: cst.Tuple | cst.List | cst.Set) -> Val:
        vals = [self.value(el.value) for el in e.elements]
        if not vals:
            return Val(Form.TLIST, Dep.CONST) if isinstance(e, cst.List) else CONST
        if any(v.form in (Form.TENSOR, Form.TLIST, Form.MODULE) for v in vals):
            return Val(Form.TLIST, max((v.dep for v in vals if v.form is not Form.TENSOR), default=Dep.CONST))
        return join(*vals)

    def _comprehension(self, e: cst.ListComp | cst.GeneratorExp | cst.SetComp | cst.DictComp) -> Val:
        count = Dep.CONST
        for_in: cst.CompFor | None = e.for_in
        while for_in is not None:
            count = max(count, self.loop_count(for_in.iter))
            bind_loop_target(self, for_in.target, for_in.iter)
            if for_in.ifs:
                count = max(count, *(self.decision(i.test) for i in for_in.ifs))
            for_in = for_in.inner_for_in
        if isinstance(e, cst.DictComp):
            self.value(e.key)
            self.value(e.value)
            return Val(Form.DICT, count)
        elt = self.value(e.elt)
        if elt.form in (Form.TENSOR, Form.TLIST):
            return Val(Form.TLIST, count)
        return scalar(max(elt.dep, count))

    def _args_join(self, e: cst.Call) -> Val:
        """The join of a call's arguments, for calls this flow does not know: a ragged argument
        does not make their result ragged (a backbone on a selected batch returns a dict of
        levels, not a selection)."""
        out = join(*(self.value(a.value) for a in e.args))
        return out.unmarked() if out.ragged else out


def _shape_of(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Attribute) and expr.attr.value == "shape"


def _int_literal(s: cst.BaseSlice) -> bool:
    value = s.value if isinstance(s, cst.Index) else None
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        value = value.expression
    return isinstance(value, cst.Integer)


def _later_axis_index(s: cst.BaseSlice) -> bool:
    """`[1]`, `[2]`: an axis after the first (a ragged tensor's size is data along axis 0)."""
    return isinstance(s, cst.Index) and _after_first(s.value)


def _later_axis(e: cst.Call) -> bool:
    """`x.size(1)`: a size query of an axis after the first."""
    return bool(e.args) and _after_first(e.args[0].value)


def _after_first(axis: cst.BaseExpression) -> bool:
    return isinstance(axis, cst.Integer) and axis.evaluated_value > 0


def _library_result(full: str) -> Val | None:
    """What a known library function returns: configuration (runtime queries, predicates) or
    a shape (torchvision's image-size helpers); None for others."""
    if full in _TORCH_CONFIG_FUNCS or _answers_a_question(full):
        return CONFIG
    if full in _SIZE_FUNCS:
        return scalar(Dep.SHAPE)
    return None


def _answers_a_question(full: str) -> bool:
    """torch runtime queries (`torch.cuda.is_available()`, `dist.get_rank()`) and predicates."""
    if full.startswith(_TORCH_RUNTIME_PREFIXES):
        return True
    return bool(full) and _PREDICATE.search(full.rsplit(".", 1)[-1]) is not None


def _returns(fn: cst.FunctionDef) -> list[cst.Return]:
    return [n for n in nodes_in(fn, nested=False) if type(n) is cst.Return]


def _none_test(left: Val, right: Val) -> Val:
    """`x is None`: for values fetched from runtime containers it tests their layout."""
    operand = left if right.dep == Dep.CONST and right.form is Form.VALUE else right
    if operand.form in (Form.DICT, Form.TLIST):
        return scalar(max(operand.dep, Dep.LAYOUT), operand.legacy_miss)
    if operand.form is Form.VALUE:
        return scalar(max(operand.dep, Dep.CONFIG), operand.legacy_miss)
    return CONFIG


def _self_method_refs(expr: cst.BaseExpression) -> list[str]:
    refs: list[str] = []

    class _V(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if isinstance(node.value, cst.Name) and node.value.value == "self":
                refs.append(node.attr.value)

    visit(expr, _V())
    return refs


__all__ = ["FunctionFlow", "param_value"]
