"""variable-length-cat: torch.cat / torch.stack of a list whose length is decided at run time."""

from __future__ import annotations

import libcst as cst

from exportlint.analysis import Dep
from exportlint.analysis.lengths import sizes_of
from exportlint.analysis.names import source_text
from exportlint.analysis.names import dotted_name, resolve
from exportlint.rules.base import MEMORY_LOOP, Invalid, Rule, Valid, forward
from exportlint.rules.dynamic_loop import cause_outcomes, consequence, describe, why

_JOINS = frozenset({"cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack",
                    "row_stack"})

_DATA_APPEND = """\
import torch
from torch import nn


class M(nn.Module):
    def forward(self, x):
        kept = []
        for i in range(4):
            if x[i].sum() > 0:
                kept.append(x[i])
        return torch.stack(kept)
"""

_LAYERS = """\
import torch
from torch import nn


class M(nn.Module):
    def forward(self, x):
        outs = []
        for layer in self.layers:
            x = layer(x)
            outs.append(x)
        return torch.cat(outs, dim=1)
"""

_BOTH_SIDES = """\
import torch
from torch import nn


class M(nn.Module):
    def forward(self, x):
        outs = []
        for i in range(4):
            if x[i].sum() > 0:
                outs.append(x[i] * 2)
                continue
            outs.append(x[i] - 1)
        return torch.stack(outs)
"""

_HINTS = {
    "data": "Keep a fixed number of items and mask the unused ones (torch.where, a validity mask) instead "
    "of choosing them by tensor values.",
    "memory": "Concatenate a fixed number of slots and mask the empty ones "
    "(`exportlint fix --rule variable-length-cat`).",
    "other": "Export with the count you deploy, or build the tensor with one batched op instead of a list.",
}


class VariableLengthCat(Rule):
    """## What it does
    Checks for `torch.cat`, `torch.stack`, `torch.concat`, `hstack`/`vstack` and friends over a
    list whose length is decided at run time: appends under a runtime condition, appends in a
    loop with a runtime trip count or after a runtime `continue`, comprehensions over runtime
    counts or with runtime filters, the entries of a runtime dict. Fixed tuples
    (`torch.cat((a, b))`), lists filled once per `self.layers`, and `List[Tensor]` forward
    arguments (fixed by the graph's inputs, see list-tensor-input) are not reported. Nor is a
    list that every path appends to equally (`if t: outs.append(a); continue` then
    `outs.append(b)`, or an `if`/`else` appending on both sides): its length is the loop's trip
    count, whatever the tests decide (the tests themselves are dynamic-branch findings).

    ## Why is this bad?
    The exporters run the Python that builds the list once: the graph concatenates exactly the
    items the example input produced.
    - length from a forward argument, a shape or a memory layout (which frames a memory dict
      holds): both exporters bake the count seen at export; other counts get the graph of the
      example. Warning. When the count follows a dict lookup keyed by a forward argument
      (`memory.get(frame_idx - t)`), the legacy tracer (`dynamo=False`) turns the key into a
      tensor, every lookup misses and the concatenation silently holds fewer items than eager.
      Error.
    - length from tensor values (`if x[i].sum() > 0: kept.append(x[i])`): the dynamo exporter
      (`torch.onnx.export(dynamo=True)`, `torch.export`) fails with a data-dependent guard; the
      legacy tracer keeps the items of the example input, silently wrong on other inputs. Error.

    ## Example
        parts = []
        for t in range(1, self.num_mem):
            out = memory.get(frame_idx - t)
            if out is not None:
                parts.append(out)
        prompt = torch.cat(parts)
    Use instead:
        # slots: (num_mem - 1, L, B, C) with zeros for missing frames, valid: (num_mem - 1,)
        prompt = slots.flatten(0, 1)
        pad_mask = (~valid.bool()).repeat_interleave(slots.shape[1])  # for the attention

    ## Known problems
    A list handed to a helper method is assumed to have a fixed length there; the cat is
    reported only in the function that builds the list.

    ## Fix safety
    Unsafe: `exportlint fix --rule variable-length-cat` (one remedy with dict-access and
    dynamic-loop) concatenates every memory slot and threads a key padding mask into the
    attention that reads the result. It applies to memory gathered from a dict argument and is
    reported as working only after onnxruntime matches eager for other memory layouts.
    """

    code = "EXL301"
    name = "variable-length-cat"
    summary = "torch.cat / torch.stack of a list whose length is decided at run time"
    probe_hint = "concatenate a fixed number of padded slots and mask them"
    hint = _HINTS["memory"]
    VALID = [
        Valid(forward("x", "return torch.cat((x, x * 2), dim=-1)")),
        Valid(_LAYERS),
        Valid(_BOTH_SIDES),
        Valid(forward("x, feats: list[torch.Tensor]", "return torch.cat(feats, dim=1)")),
        Valid(forward("x", "return torch.stack([x * i for i in range(self.num_heads)])")),
    ]
    INVALID = [
        Invalid(MEMORY_LOOP, line=13, severity="error", column=15,
                message="`torch.cat` of `parts`"),
        Invalid(_DATA_APPEND, line=11, severity="error", column=15,
                message="`torch.stack` of `kept`"),
        Invalid(forward("x, memory: dict", "return torch.cat(list(memory.values()))"),
                line=7, severity="warning", column=15,
                message="`torch.cat` of `list(memory.values())`"),
        Invalid(forward("x: torch.Tensor", "return torch.stack([r * 2 for r in x])"),
                line=7, severity="warning", column=15,
                message="`torch.stack` of `[r * 2 for r in x]`"),
        Invalid(forward("x, n: int", "return torch.cat([x] * n)"),
                line=7, severity="warning", column=15,
                message="`torch.cat` of `[x] * n`"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.flow is None or not self._is_join(node):
            return
        items = next((a.value for a in node.args if a.keyword is None or a.keyword.value == "tensors"), None)
        if items is None:
            return
        sizes = sizes_of(self.flow)
        cause = sizes.length(items)
        if cause is None or cause.dep < Dep.ARGUMENT:
            return
        func = source_text(node.func, width=50)
        message = (f"`{func}` of `{source_text(items, width=50)}`, whose length is decided at run time by "
                   f"{describe(cause, self.facts, sizes.structure)} ({why(cause)}): "
                   f"{consequence(cause, 'the concatenation')}")
        key = "data" if cause.dep >= Dep.DATA else "memory" if cause.key_miss or cause.dep == Dep.LAYOUT else "other"
        self.report(node, message, cause_outcomes(cause), hint=_HINTS[key])

    def _is_join(self, node: cst.Call) -> bool:
        full = resolve(dotted_name(node.func), self.facts.imports) or ""
        head, _, last = full.rpartition(".")
        return last in _JOINS and head == "torch"
