"""Lookups in runtime dicts: `d.get(k)`, `d[k]`, `k in d`, `d.pop(k)`, and what decides their key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import libcst as cst

from exportlint.analysis.dataflow import FunctionFlow
from exportlint.analysis.values import Dep, Form

LookupKind = Literal["get", "pop", "setdefault", "subscript", "in"]
_METHODS: dict[str, LookupKind] = {"get": "get", "pop": "pop", "setdefault": "setdefault"}


@dataclass(frozen=True, slots=True)
class Lookup:
    """One keyed access to a dict value."""

    node: cst.CSTNode
    receiver: cst.BaseExpression
    key: cst.BaseExpression
    kind: LookupKind


def lookup_at(flow: FunctionFlow, node: cst.CSTNode) -> Lookup | None:
    """The dict lookup `node` performs, if it is one (receiver of dict form, one key)."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.args:
        kind = _METHODS.get(node.func.attr.value)
        if kind is not None and _is_dict(flow, node.func.value):
            return Lookup(node, node.func.value, node.args[0].value, kind)
    elif isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index) and _is_dict(flow, node.value):
            return Lookup(node, node.value, index.value, "subscript")
    elif isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
        comp = node.comparisons[0]
        if isinstance(comp.operator, (cst.In, cst.NotIn)) and _is_dict(flow, comp.comparator):
            return Lookup(node, comp.comparator, node.left, "in")
    return None


def key_dep(flow: FunctionFlow, lookup: Lookup) -> Dep:
    """What the key of a lookup depends on (a tensor used as a key is data)."""
    val = flow.value(lookup.key)
    if val.form is Form.TENSOR:
        return Dep.DATA
    if val.form in (Form.DICT, Form.TLIST):
        return max(val.dep, Dep.LAYOUT)
    return val.dep


def legacy_misses(dep: Dep) -> bool:
    """The legacy tracer turns Python numbers from forward arguments and shapes into tensors,
    so a dict keyed by ints never finds them: `.get` returns its default, `[]` raises."""
    return dep in (Dep.ARGUMENT, Dep.SHAPE)


def _is_dict(flow: FunctionFlow, expr: cst.BaseExpression) -> bool:
    return flow.value(expr).form is Form.DICT
