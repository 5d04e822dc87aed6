"""What decides how many times a loop runs and how many items a local list holds.

A `Cause` names the most runtime-dependent thing that decides a count: a `range` bound, the
entries of a runtime dict, a tensor's shape, a `continue` under a runtime test, a conditional
`append` ... Counts fixed by the module's configuration, or by the structure of a forward input
(a `List[Tensor]` argument: its length is a property of the graph's inputs) have no cause.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst

from exportlint.analysis.control import Site, Structure
from exportlint.analysis.dataflow import FunctionFlow
from exportlint.analysis.names import dotted_name, resolve, source_text
from exportlint.analysis.params import annotation_text, named_params
from exportlint.analysis.values import Dep, Form

_SPLITS = frozenset({"split", "chunk", "unbind", "tensor_split", "tolist", "hsplit", "vsplit", "dsplit"})
_SAME_LENGTH = frozenset({"list", "tuple", "sorted", "reversed", "iter", "set"})
_NUMBER_FUNCS = frozenset({"int", "float", "round", "abs", "min", "max", "math.ceil", "math.floor", "sum"})


@dataclass(frozen=True, slots=True)
class Cause:
    """The thing that decides a count at run time.

    `key_miss` marks counts decided by a dict lookup keyed by a forward number (see
    `Val.legacy_miss`): the legacy tracer turns those keys into tensors, so the lookup misses.
    """

    dep: Dep
    node: cst.CSTNode
    text: str
    key_miss: bool = False

    @property
    def rank(self) -> tuple[bool, bool, int]:
        return (self.dep >= Dep.DATA, self.key_miss, int(self.dep))


def worst(causes: Iterable[Cause | None]) -> Cause | None:
    """The cause with the worst export outcome (data first, then key misses, then the dep)."""
    found = [c for c in causes if c is not None]
    return max(found, key=lambda c: c.rank) if found else None


_SIZES: weakref.WeakKeyDictionary[FunctionFlow, Sizes] = weakref.WeakKeyDictionary()


def sizes_of(flow: FunctionFlow) -> Sizes:
    """The (cached) Sizes of one function."""
    found = _SIZES.get(flow)
    if found is None:
        found = _SIZES[flow] = Sizes(flow)
    return found


class Sizes:
    """Counts and lengths in one function, with the cause that decides each."""

    def __init__(self, flow: FunctionFlow) -> None:
        self.flow = flow
        self.structure = Structure(flow.fn)
        self._busy: set[cst.CSTNode] = set()
        self._loops: dict[cst.CSTNode, Cause | None] = {}

    # -- decisions ------------------------------------------------------------------------------
    def decision(self, test: cst.BaseExpression, text: str | None = None, node: cst.CSTNode | None = None) -> Cause | None:
        """The cause of `if test:` when it depends on more than configuration."""
        dep = self.flow.decision(test)
        if dep < Dep.ARGUMENT:
            return None
        return Cause(dep, node or test, text or f"`{source_text(test, width=50)}`", self.flow.legacy_miss(test))

    def exit_causes(self, loop: cst.For | cst.While) -> list[Cause]:
        """One cause per runtime-conditioned `break`/`continue` of `loop` (its node is the exit,
        its text the test)."""
        causes: list[Cause] = []
        for ex in self.structure.exits(loop):
            tests = [c for t in ex.tests if (c := self.decision(t)) is not None]
            if tests:
                test = worst(tests)
                assert test is not None
                causes.append(Cause(test.dep, ex.node, test.text, test.key_miss))
        return causes

    def loop(self, loop: cst.For | cst.While) -> Cause | None:
        """What decides how many iterations of `loop` run to the end: its trip count and its exits."""
        if loop in self._loops:
            return self._loops[loop]
        self._loops[loop] = None  # NOTE: a loop reached again while computing itself adds nothing
        head = self.trip(loop.iter) if isinstance(loop, cst.For) else self.decision(loop.test)
        result = worst([head, *self.exit_causes(loop)])
        self._loops[loop] = result
        return result

    # -- counts ---------------------------------------------------------------------------------
    def trip(self, it: cst.BaseExpression, follow_growth: bool = True) -> Cause | None:
        """What decides the trip count of `for _ in it`."""
        if isinstance(it, cst.Call):
            name = dotted_name(it.func)
            args = [a.value for a in it.args if a.keyword is None]
            if name == "range":
                return worst(self.count(a) for a in args)
            if name in ("enumerate", *_SAME_LENGTH) and args:
                return self.trip(args[0], follow_growth)
            if name == "zip":
                return worst(self.trip(a, follow_growth) for a in args)
            if isinstance(it.func, cst.Attribute) and it.func.attr.value in ("items", "values", "keys"):
                return self.length(it.func.value, follow_growth)
        return self.length(it, follow_growth)

    def count(self, expr: cst.BaseExpression) -> Cause | None:
        """What decides a Python number used as a count (a `range` bound, a repeat factor)."""
        if isinstance(expr, cst.Call):
            name = dotted_name(expr.func) or ""
            args = [a.value for a in expr.args]
            if name == "len" and args:
                return self.length(args[0])
            if name in _NUMBER_FUNCS and not any(self.flow.value(a).form is Form.TENSOR for a in args):
                return worst(self.count(a) for a in args)
        elif isinstance(expr, cst.BinaryOperation):
            return worst([self.count(expr.left), self.count(expr.right)])
        elif isinstance(expr, cst.UnaryOperation):
            return self.count(expr.expression)
        elif isinstance(expr, cst.Name):
            sites = self.structure.reaching(expr.value, expr)
            if sites and all(s.kind == "assign" for s in sites):
                return self._guarded(expr, lambda: worst(self.count(s.value) for s in sites if s.value is not None))
        return self._value_cause(expr)

    def length(self, expr: cst.BaseExpression, follow_growth: bool = True) -> Cause | None:
        """What decides how many items `expr` (a list, tuple, dict or tensor) holds."""
        val = self.flow.value(expr)
        if val.form is Form.DICT and val.dep >= Dep.ARGUMENT:
            return Cause(Dep.LAYOUT, expr, f"`{source_text(expr, width=50)}`")
        if isinstance(expr, cst.Name):
            return self._guarded(expr, lambda: self._name_length(expr, follow_growth))
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            return worst(self.length(e.value, follow_growth) for e in expr.elements if isinstance(e, cst.StarredElement))
        if isinstance(expr, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
            return self._comprehension(expr)
        if isinstance(expr, cst.Subscript):
            return self._subscript_length(expr, follow_growth)
        if isinstance(expr, cst.Call):
            return self._call_length(expr, follow_growth)
        if isinstance(expr, cst.BinaryOperation):
            return self._binary_length(expr, follow_growth)
        if isinstance(expr, cst.IfExp):
            return worst([self.length(expr.body, follow_growth), self.length(expr.orelse, follow_growth),
                          self.decision(expr.test)])
        if isinstance(expr, cst.Attribute) and dotted_name(expr.value) == "self":
            return None
        return self._shape_or_value(expr)

    # -- lengths of particular expressions ------------------------------------------------------
    def _name_length(self, name: cst.Name, follow_growth: bool) -> Cause | None:
        sites = self.structure.reaching(name.value, name)
        if not sites:
            return self._param_length(name)
        causes: list[Cause | None] = []
        for site in sites:
            if site.kind == "assign" and site.value is not None:
                causes.append(self.length(site.value, follow_growth))
            elif site.kind == "grow" and follow_growth:
                causes.append(self.growth(site, sites))
            elif site.kind == "bind" and not isinstance(site.node, cst.For):
                causes.append(self._shape_or_value(name))  # `a, b = x.max(-1)`: what the name holds
        return worst(causes)

    def growth(self, site: Site, sites: list[Site]) -> Cause | None:
        """What decides whether (and how often) a `.append`/`.extend`/`+=` of a list runs."""
        init = None
        for other in sites:
            earlier = other.kind == "assign" and other.order < site.order
            if earlier and (init is None or self.structure.dominates(other.node, site.node)):
                init = other
        causes: list[Cause | None] = []
        controls = self.structure.controls(site.node, init.node if init else None)
        # NOTE: a loop whose every pass appends the same number of items (`if t: xs.append(a);
        # continue` then `xs.append(b)`) holds one count per trip: its tests decide values only
        steady = [c for c in controls if not isinstance(c, cst.If)
                  and self.structure.items_per_pass(c, site.name) is not None]
        for i, ctrl in enumerate(controls):
            if isinstance(ctrl, cst.If):
                if not any(c in steady for c in controls[i:]) and self.structure.items_per_pass(ctrl, site.name) is None:
                    causes.append(self.decision(ctrl.test))
            elif ctrl in steady:
                causes.append(self.trip(ctrl.iter) if isinstance(ctrl, cst.For) else self.decision(ctrl.test))
            else:
                causes.append(self.loop(ctrl))
        if site.method in ("extend", "+=") and site.value is not None:
            causes.append(self.length(site.value))
        return worst(causes)

    def _param_length(self, name: cst.Name) -> Cause | None:
        for p in named_params(self.flow.fn):
            if p.name.value == name.value:
                ann = annotation_text(p)
                if ann.split("[", 1)[0].rsplit(".", 1)[-1] in ("Tensor", "FloatTensor", "LongTensor", "BoolTensor"):
                    return Cause(Dep.SHAPE, name, f"`{name.value}`")
                val = self.flow.value(name)
                if val.form is Form.VALUE and val.dep >= Dep.ARGUMENT:
                    return Cause(val.dep, name, f"`{name.value}`")
                return None
        return None

    def _comprehension(self, e: cst.ListComp | cst.GeneratorExp | cst.SetComp | cst.DictComp) -> Cause | None:
        causes: list[Cause | None] = []
        for_in: cst.CompFor | None = e.for_in
        while for_in is not None:
            causes.append(self.trip(for_in.iter))
            causes.extend(self.decision(i.test, f"`if {source_text(i.test, width=50)}`", i) for i in for_in.ifs)
            for_in = for_in.inner_for_in
        return worst(causes)

    def _subscript_length(self, e: cst.Subscript, follow_growth: bool) -> Cause | None:
        if self.flow.value(e).form is Form.TENSOR:
            return self._shape_or_value(e)
        causes: list[Cause | None] = []
        for el in e.slice:
            if isinstance(el.slice, cst.Slice):
                bounds = [b for b in (el.slice.lower, el.slice.upper, el.slice.step) if b is not None]
                causes.extend(self.count(b) for b in bounds)
                if isinstance(el.slice.upper, cst.Integer):
                    return worst(causes)  # NOTE: `xs[:2]`: at most two items, whatever `xs` holds
        return worst([self.length(e.value, follow_growth), *causes])

    def _call_length(self, e: cst.Call, follow_growth: bool) -> Cause | None:
        func = e.func
        args = [a.value for a in e.args if a.keyword is None]
        name = dotted_name(func) or ""
        full = resolve(name, self.flow.imports) or ""
        if name in _SAME_LENGTH and args:
            return self.length(args[0], follow_growth)
        if isinstance(func, cst.Attribute):
            if dotted_name(func.value) == "self" or name.startswith("self."):
                return None
            attr = func.attr.value
            if attr in ("values", "keys", "items", "copy"):
                return self.length(func.value, follow_growth)
            if attr in _SPLITS and self.flow.value(func.value).form is Form.TENSOR:
                return self._split_count(e, attr, args)
        if full.startswith("torch.") and full.rsplit(".", 1)[-1] in _SPLITS:
            return self._split_count(e, full.rsplit(".", 1)[-1], args[1:])
        return self._shape_or_value(e)

    def _split_count(self, e: cst.Call, how: str, args: list[cst.BaseExpression]) -> Cause | None:
        if how == "chunk" and args:
            return self.count(args[0])
        if how in ("split", "tensor_split") and args and isinstance(args[0], (cst.List, cst.Tuple)):
            return None
        split = [e.func.value] if isinstance(e.func, cst.Attribute) else []
        ragged = any(self.flow.value(x).ragged for x in [*split, *(a.value for a in e.args)])
        return Cause(Dep.DATA if ragged else Dep.SHAPE, e, f"`{source_text(e, width=50)}`")

    def _binary_length(self, e: cst.BinaryOperation, follow_growth: bool) -> Cause | None:
        if self.flow.value(e).form is Form.TENSOR:
            return self._shape_or_value(e)
        sides = [e.left, e.right]
        if isinstance(e.operator, cst.Multiply):
            return worst(self.length(s, follow_growth) if self._is_sequence(s) else self.count(s) for s in sides)
        return worst(self.length(s, follow_growth) for s in sides)

    def _is_sequence(self, e: cst.BaseExpression) -> bool:
        return isinstance(e, (cst.List, cst.Tuple)) or self.flow.value(e).form in (Form.TLIST, Form.DICT)

    def _shape_or_value(self, e: cst.BaseExpression) -> Cause | None:
        val = self.flow.value(e)
        if val.form is Form.TENSOR:
            # a tensor whose size tensor values decide (`x[mask]`, `nonzero`) counts as data
            return Cause(Dep.DATA if val.ragged else Dep.SHAPE, e, f"`{source_text(e, width=50)}`")
        if val.form is Form.VALUE and val.dep >= Dep.ARGUMENT:
            return Cause(val.dep, e, f"`{source_text(e, width=50)}`")
        return None

    def _value_cause(self, e: cst.BaseExpression) -> Cause | None:
        val = self.flow.value(e)
        dep = Dep.DATA if val.form is Form.TENSOR else val.dep
        if dep < Dep.ARGUMENT or val.form is Form.MODULE:
            return None
        return Cause(dep, e, f"`{source_text(e, width=50)}`", self.flow.legacy_miss(e))

    def _guarded(self, node: cst.CSTNode, compute: object) -> Cause | None:
        if node in self._busy:
            return None
        self._busy.add(node)
        try:
            return compute()  # type: ignore[operator,no-any-return]
        finally:
            self._busy.discard(node)
