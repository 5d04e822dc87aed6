"""dict-access: lookups in runtime dicts keyed by runtime values."""

from __future__ import annotations

import libcst as cst

from exportlint.analysis import Dep
from exportlint.analysis.lengths import sizes_of
from exportlint.analysis.names import source_text
from exportlint.analysis.lookups import Lookup, key_dep, legacy_misses, lookup_at
from exportlint.analysis.names import dotted_name
from exportlint.model import Outcomes
from exportlint.rules.base import DEP_WORDS, Invalid, StoreTargets, Valid, forward

_MEMORY = """\
import torch
from torch import nn


class M(nn.Module):
    def forward(self, x, frame_idx: int, output_dict: dict):
        out = output_dict["non_cond_frame_outputs"].get(frame_idx - 1, None)
        return x if out is None else x + out
"""

_HINT = ("Pass the memory as tensors with a fixed layout: stack a fixed number of slots into one "
         "tensor and add a validity mask, so no lookup happens in the graph.")
_LEGACY_MISS = "legacy turns the key into a tensor that never equals an int key, so {what}"
_MISS_WHAT = {"get": "`.get` always returns its default, silently", "pop": "`.pop` returns its default or raises",
              "setdefault": "`.setdefault` inserts a new entry every time", "subscript": "`[]` raises KeyError",
              "in": "`in` is always False, silently"}


def lookup_outcomes(dep: Dep, kind: str) -> Outcomes:
    """What the exporters do with a lookup whose key depends on `dep`."""
    if dep >= Dep.DATA:
        return Outcomes(dynamo="fails", legacy="wrong")
    if legacy_misses(dep):
        return Outcomes(dynamo="specialized", legacy="fails" if kind in ("subscript", "pop") else "wrong")
    return Outcomes.same("specialized")


class DictAccess(StoreTargets):
    """## What it does
    Checks for `d.get(k)`, `d[k]`, `k in d`, `d.pop(k)` and `d.setdefault(k)` on dicts that
    forward receives or builds (a memory bank keyed by frame index, a feature cache ...) when
    the key is decided at run time: a forward argument, a shape, the contents of a container, or
    tensor values. Constant keys (`output_dict["cond_frame_outputs"]`), keys from module
    configuration, and keys taken from the same dict (`for k in d: d[k]`, `d[list(d)[-1]]`) are
    not reported.

    ## Why is this bad?
    ONNX has no dicts: the exporters run the lookup once, in Python, and keep what it found.
    - key from a forward argument or a shape (`d.get(frame_idx - 1)`): the dynamo exporter
      bakes the key and the entries present at export (specialized: other frame indices or
      memory layouts get the graph of the example). The legacy tracer (`dynamo=False`) turns
      Python numbers from forward arguments and shapes into tensors, so the key never equals an
      int key: `.get` silently returns its default (the memory is skipped), `[]` raises KeyError.
      Error.
    - key from the layout of a container (`d[len(memory)]`): both exporters bake the entry
      found at export. Warning.
    - key from tensor values (`d[int(t.argmax())]`): dynamo fails with a data-dependent error;
      the legacy tracer bakes the key of the example input. Error.

    ## Example
        def forward(self, x, frame_idx: int, memory: dict):
            prev = memory.get(frame_idx - 1)
            return x if prev is None else x + prev
    Use instead:
        def forward(self, x, prev: Tensor, prev_valid: Tensor):
            # the caller looks the frame up and passes a zero tensor plus a 0/1 flag if absent
            return x + prev * prev_valid

    ## Known problems
    A dict is recognised from a forward argument's annotation (`dict`, `Dict[...]`, `Mapping`),
    a `{}` default, a name ending in `dict`, `state`, `cache` or `outputs`, `**kwargs`, or a
    dict built in forward; a dict held in `self` and filled at run time is not followed.
    Lookups keyed by a string argument are reported as integer keys would be, although the
    legacy tracer leaves strings alone.

    ## Fix safety
    Unsafe: `exportlint fix --rule dict-access` (one remedy with dynamic-loop and
    variable-length-cat) applies to a forward that gathers frames from a memory dict argument:
    the lookups run on the host, and the graph takes every memory slot as stacked tensors plus
    a validity mask. The wrapper is reported as working only after onnxruntime matches eager
    for memories with other frames present and missing.
    """

    code = "EXL202"
    name = "dict-access"
    summary = "Lookup in a runtime dict keyed by a runtime value"
    probe_hint = "pass memory as a stacked tensor with a validity mask"
    hint = _HINT
    VALID = [
        Valid(forward("x, feats: dict", 'return x + feats["p3"]')),
        Valid(forward("x, feats: dict", 'return x + feats.get("p3", x)')),
        Valid(forward("x, feats: dict", "return sum(feats[k] for k in feats)")),
        Valid(forward("x", "return {0: x, 1: x * 2}[self.level]")),
        Valid(forward("x, feats: dict", "return x + feats[list(feats.keys())[-1]]")),
        Valid(forward("x, feats: dict", "return x if 'p3' in feats else x * 2")),
    ]
    INVALID = [
        Invalid(_MEMORY, line=7, severity="error", column=14,
                message="`.get()` on runtime dict"),
        Invalid(forward("x, memory: dict", "return memory[int(x.argmax())]"),
                line=7, severity="error", column=15,
                message="`[...]` lookup in runtime dict `memory` keyed by tensor"),
        Invalid(forward("x, memory: dict, other: dict", "return memory[len(other) - 1]"),
                line=7, severity="warning", column=15,
                message="`[...]` lookup in runtime dict `memory` keyed by the layout"),
        Invalid(forward("x, memory: dict, frame_idx: int", "return x if frame_idx in memory else x * 2"),
                line=7, severity="error", column=20,
                message="`in` test on runtime dict `memory` keyed by a non-tensor"),
    ]

    def visit_Del(self, node: cst.Del) -> None:
        self._stores.add(node.target)

    def visit_Call(self, node: cst.Call) -> None:
        self._check(node)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if node not in self._stores:
            self._check(node)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self._check(node)

    def _check(self, node: cst.CSTNode) -> None:
        if self.flow is None:
            return
        found = lookup_at(self.flow, node)
        if found is None:
            return
        dep = key_dep(self.flow, found)
        if dep < Dep.ARGUMENT or self._iterates_same_dict(found):
            return
        self.report(node, _message(found, dep), lookup_outcomes(dep, found.kind))

    def _iterates_same_dict(self, found: Lookup) -> bool:
        """`for k in d: d[k]`, `d[list(d)[-1]]`: keys taken from the dict itself, whatever its layout."""
        if self.flow is None:
            return False
        base = _root_name(found.receiver)
        return base is not None and base in sizes_of(self.flow).structure.roots(found.key)


def _root_name(expr: cst.BaseExpression) -> str | None:
    """`output_dict` for `output_dict["cond"]` or `output_dict.get("cond")`."""
    while isinstance(expr, (cst.Subscript, cst.Call, cst.Attribute)):
        if isinstance(expr, cst.Call):
            if not isinstance(expr.func, cst.Attribute):
                return None
            expr = expr.func.value
        else:
            expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None

def _message(found: Lookup, dep: Dep) -> str:
    what = _describe(found)
    key = f"`{source_text(found.key, width=50)}`"
    if dep >= Dep.DATA:
        return (f"{what} keyed by tensor values ({key}): dynamo fails (data-dependent key); "
                "legacy bakes in the key of the example input, wrong on other inputs")
    dynamo = "dynamo bakes in the key and the entries present at export"
    if legacy_misses(dep):
        legacy = _LEGACY_MISS.format(what=_MISS_WHAT[found.kind])
        return f"{what} keyed by {DEP_WORDS[dep]} ({key}): {dynamo}; {legacy}"
    return f"{what} keyed by {DEP_WORDS[dep]} ({key}): both exporters bake in the entry found at export"


def _describe(found: Lookup) -> str:
    receiver = f"`{source_text(found.receiver, width=50)}`"
    if found.kind == "subscript":
        return f"`[...]` lookup in runtime dict {receiver}"
    if found.kind == "in":
        return f"`in` test on runtime dict {receiver}"
    name = dotted_name(found.node.func) if isinstance(found.node, cst.Call) else None
    return f"`.{(name or '').rsplit('.', 1)[-1] or found.kind}()` on runtime dict {receiver}"
