"""dynamic-branch: Python control flow whose outcome changes the traced graph."""

from __future__ import annotations

import libcst as cst

from exportlint.analysis import Dep, FileFacts
from exportlint.analysis.dataflow import FunctionFlow
from exportlint.analysis.names import dotted_name, resolve, source_text
from exportlint.cstwalk import visit
from exportlint.model import Outcomes
from exportlint.rules.base import (
    DEP_WORDS,
    EXPORT_WORDS,
    LEGACY_MISS_WORDS,
    Invalid,
    Rule,
    Valid,
    forward,
    outcomes_for,
)

_HINTS: dict[Dep, str] = {
    Dep.CONFIG: "Nothing to do for this instance; export once per configuration you ship, or freeze it "
    "explicitly with `exportlint fix --rule dynamic-branch`.",
    Dep.ARGUMENT: "Export with the value you deploy and freeze it in a wrapper "
    "(`exportlint fix --rule dynamic-branch`).",
    Dep.SHAPE: "Export at the shape you deploy and keep that axis static, or express both paths with torch.cond.",
    Dep.LAYOUT: "Give the input a fixed layout: a fixed number of padded slots with a validity mask.",
    Dep.DATA: "Express both outcomes in the graph: torch.where for same-shaped results, torch.cond otherwise "
    "(`exportlint fix --rule dynamic-branch`).",
}

# Decisions that are fixed for every export and need no report.
_ALWAYS_FIXED = {"self.training", "torch.jit.is_scripting", "torch.jit.is_tracing", "torch.onnx.is_in_onnx_export",
                 "torch.compiler.is_compiling", "torch.compiler.is_exporting"}


class DynamicBranch(Rule):
    """## What it does
    Checks for `if`/`elif`/`while`, conditional expressions and `and`/`or` in code reachable from
    `forward` whose outcome changes the traced graph, and says what the outcome depends on; and
    for branches written with `torch.cond`.

    ## Why is this bad?
    ONNX graphs are traced once. Depending on what decides the branch:
    - tensor values (`if mask.any()`, `if x.sum() > 0`, `while err > tol`): the dynamo exporter
      (`torch.onnx.export(dynamo=True)`, `torch.export`) fails with a data-dependent guard error;
      the legacy tracer (`dynamo=False`) bakes in the path of the example input and is silently
      wrong on inputs that take the other path. Error.
    - a tensor shape (`if x.shape[0] > 1`): both exporters specialize to the example shape;
      declared dynamic axes turn into guards or constraint violations. Warning. The size of a
      tensor that tensor values decide (`kept = boxes[scores > t]`, `nonzero`, `masked_select`,
      `unique`; along its first axis) is tensor data, not shape: `if kept.numel() > 0` is an
      error like any test on tensor values.
    - a non-tensor forward argument (`if dac:`): the value passed at export is baked in; the ONNX
      graph cannot take another (the legacy tracer warns and turns Python bools into tensors). Warning.
    - module configuration (`if self.pre_norm`): both exporters keep this instance's path, which
      stays right for this instance. Info.
    - `torch.cond(pred, true_fn, false_fn, operands)`: dynamo exports both branches as an ONNX
      If and stays right; the legacy tracer cannot trace a higher-order op and fails. An error
      for `--exporter both`, info for dynamo alone.

    ## Example
        def forward(self, x):
            if x.sum() > 0:
                x = x * 2
            return x
    Use instead:
        def forward(self, x):
            return torch.where(x.sum() > 0, x * 2, x)

    ## Known problems
    Arguments are followed through calls of the same file: a parameter that every caller leaves
    at its default or passes as a constant (`self.forward_head(x)` with `pre_logits=False`,
    `self.head(x, pre_logits=True)` on a submodule built in `__init__`) is that constant, so the
    branch is configuration and not reported. Callers in other files are not seen: there the
    parameter counts as a forward argument.

    ## Fix safety
    Unsafe: the dynamic-branch fixer freezes configuration and flags to the values of the probe
    target, and rewrites data-dependent branches with torch.where / torch.cond and data-dependent
    loops as masked loops of a static bound (the loop's own, else `--max-iters`: inputs needing
    more iterations differ); the rewrite is only reported as working after onnxruntime matches
    eager on inputs that flip the branch and stop the loop after different iteration counts.
    """

    code = "EXL101"
    name = "dynamic-branch"
    summary = "Python branch whose outcome changes the traced graph"
    # Each finding's hint depends on what decides the branch (see `_HINTS`); this one sums them up.
    hint = ("Depends on what decides the branch: configuration exports as one specialised graph; "
            "on tensor values, express both outcomes with torch.where or torch.cond "
            "(`exportlint fix --rule dynamic-branch`).")
    probe_hint = ("express both outcomes in the graph (torch.where / torch.cond) or freeze "
                  "the choice: `exportlint fix --rule dynamic-branch`")
    VALID = [
        Valid(forward("x", "return x * 2 if self.training else x")),
        Valid(forward("x, mask=None", "return x if mask is None else x * mask")),
        Valid(forward("x", "return torch.where(x.sum() > 0, x * 2, x)")),
        Valid("import torch\nfrom torch import nn\n\n\nclass Head(nn.Module):\n"
              "    def forward(self, x, pre_logits: bool = False):\n        return x if pre_logits else x * 2\n\n\n"
              "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
              "        self.head = Head()\n\n"
              "    def forward_head(self, x, pre_logits: bool = False):\n"
              "        return self.head(x, pre_logits=pre_logits)\n\n"
              "    def forward(self, x):\n        return self.forward_head(x)\n"),
    ]
    INVALID = [
        Invalid(forward("x", "return x * 2 if x.sum() > 0 else x"),
                line=7, severity="error", column=24,
                message="conditional expression on tensor values"),
        Invalid(forward("x", "return x[:1] if x.shape[0] > 1 else x"),
                line=7, severity="warning", column=24,
                message="conditional expression on a tensor shape"),
        Invalid(forward("x, dac=False", "return x * 2 if dac else x"),
                line=7, severity="warning", column=24,
                message="conditional expression on a non-tensor forward argument"),
        Invalid(forward("x", "return x * 2 if self.double else x"),
                line=7, severity="info", column=24,
                message="conditional expression on module configuration"),
        Invalid(forward("x", "return x.mean() if x.any() else x"),
                line=7, severity="error", column=27,
                message="conditional expression on tensor values"),
        Invalid(forward("x", "return torch.cond(x.sum() > 0, lambda t: t * 2, lambda t: t - 1, (x,))"),
                line=7, severity="error", column=15, message="`torch.cond(x.sum() > 0"),
        # The size of a boolean-mask read is decided by the mask: a size test on it is data.
        Invalid(forward("x", "kept = x[x > 0]\n        return kept.mean() if kept.numel() > 0 else x.sum()"),
                line=8, severity="error", column=30,
                message="conditional expression on tensor values (`kept.numel() > 0`; `kept` has a size"),
        # Its later axes keep their static size: a shape test.
        Invalid(forward("x", "kept = x[x > 0]\n        return kept * 2 if kept.shape[1] == 4 else kept"),
                line=8, severity="warning", column=27, message="conditional expression on a tensor shape"),
    ]

    def __init__(self, facts: FileFacts) -> None:
        super().__init__(facts)
        self._in_test: set[cst.CSTNode] = set()

    def visit_If(self, node: cst.If) -> None:
        self._check(node.test, "`if`")

    def visit_While(self, node: cst.While) -> None:
        self._check(node.test, "`while` loop")

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._check(node.test, "conditional expression")

    def visit_Call(self, node: cst.Call) -> None:
        if self.flow is None:
            return
        if (resolve(dotted_name(node.func), self.flow.imports) or "") in _COND:
            self.report(node, f"`{source_text(node)}` {COND_WORDS}: dynamo exports it as an ONNX If "
                        "and stays right; legacy fails (it cannot trace a higher-order op)",
                        Outcomes(dynamo="ok", legacy="fails"), hint=_COND_HINT)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        if node not in self._in_test:
            self._check(node.left, f"`{'and' if isinstance(node.operator, cst.And) else 'or'}`", mark=False)

    def _check(self, test: cst.BaseExpression, what: str, *, mark: bool = True) -> None:
        if mark:
            self._mark(test)
        if self.flow is None or _always_fixed(test):
            return
        dep = self.flow.decision(test)
        if dep == Dep.CONST or (dep == Dep.CONFIG and not _mentions_self(test)):
            return
        miss = self.flow.legacy_miss(test)
        sized = _ragged_sizes(self.flow, test) if dep == Dep.DATA else []
        self.report(
            test,
            f"{what} on {DEP_WORDS[dep]} (`{source_text(test)}`"
            + (f"; {' and '.join(f'`{n}`' for n in sized)} {'has a size' if len(sized) == 1 else 'have sizes'}"
               f" {SIZE_WORDS}" if sized else "")
            + f"): {EXPORT_WORDS[dep]}" + (LEGACY_MISS_WORDS if miss else ""),
            outcomes_for(dep, miss),
            hint=_HINTS[dep],
        )

    def _mark(self, test: cst.BaseExpression) -> None:
        collector = _BoolOps()
        visit(test, collector)
        self._in_test.update(collector.found)


COND_WORDS = "branches on tensor data inside the graph"  # the torch.cond finding's message
SIZE_WORDS = "that tensor values decide"  # a test reading such a size (`x[mask]`, `nonzero`)
_COND = {"torch.cond", "torch._higher_order_ops.cond.cond", "torch._higher_order_ops.cond"}
_COND_HINT = ("For the legacy tracer compute both branches and select with torch.where (same-shaped "
              "results); torch.cond needs the dynamo exporter (`--exporter dynamo`).")


def _always_fixed(test: cst.BaseExpression) -> bool:
    inner = test.expression if isinstance(test, cst.UnaryOperation) else test
    if isinstance(inner, cst.Call):
        inner = inner.func
    return dotted_name(inner) in _ALWAYS_FIXED


def _ragged_sizes(flow: FunctionFlow, test: cst.BaseExpression) -> list[str]:
    """The names whose size the test reads, where that size is decided by tensor values
    (`picked.numel()` after `picked = x[mask]`)."""
    found: list[str] = []

    class _V(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if node.attr.value in ("shape", "size", "numel", "nelement") and isinstance(node.value, cst.Name):
                self._add(node.value)

        def visit_Call(self, node: cst.Call) -> None:
            if dotted_name(node.func) == "len" and node.args and isinstance(node.args[0].value, cst.Name):
                self._add(node.args[0].value)

        def _add(self, name: cst.Name) -> None:
            if flow.value(name).ragged and name.value not in found:
                found.append(name.value)

    visit(test, _V())
    return found


def _mentions_self(test: cst.BaseExpression) -> bool:
    found = []

    class _V(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            if node.value == "self":
                found.append(node)

    visit(test, _V())
    return bool(found)


class _BoolOps(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.CSTNode] = []

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self.found.append(node)
