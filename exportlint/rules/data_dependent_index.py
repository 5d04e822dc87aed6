"""data-dependent-index: indices and output sizes decided by tensor values."""

from __future__ import annotations

import libcst as cst

from exportlint.analysis import Dep, Form
from exportlint.analysis.control import Structure
from exportlint.analysis.lengths import sizes_of
from exportlint.analysis.names import source_text
from exportlint.analysis.masks import is_bool_tensor, same_base
from exportlint.analysis.names import dotted_name, resolve
from exportlint.analysis.params import param_names
from exportlint.model import Outcomes
from exportlint.rules.base import Invalid, StoreTargets, Valid, forward

# Operations whose output size is decided by tensor values: measured outcome, what happens.
_SHAPE_OPS: dict[str, tuple[Outcomes, str]] = {
    "nonzero": (Outcomes.same("ok"), "both exporters export NonZero and stay right on other values"),
    "where": (Outcomes.same("ok"), "both exporters export NonZero and stay right on other values"),
    "unique": (Outcomes.same("ok"), "both exporters export Unique and stay right on other values"),
    "repeat_interleave": (Outcomes.same("ok"), "both exporters export it and stay right on other repeats"),
    "argwhere": (Outcomes(dynamo="ok", legacy="fails"),
                 "dynamo exports it; legacy fails (aten::argwhere is not supported)"),
    "unique_consecutive": (Outcomes(dynamo="ok", legacy="fails"),
                           "dynamo exports it; legacy fails (aten::unique_consecutive is not supported)"),
    "masked_select": (Outcomes(dynamo="fails", legacy="ok"),
                      ("dynamo fails at the ONNX conversion step (no ONNX function for masked_select); "
                       "legacy exports it")),
}
_HINTS = {
    "number": "Keep the index a tensor (index_select, gather, narrow with a tensor length, or masking with "
    "torch.where) instead of a Python number from .item() / int().",
    "write": "Write with torch.where(mask, value, x) or x.masked_fill(mask, value); expand a row mask to "
    "the tensor's shape first.",
    "masked_select": "Use boolean indexing x[mask] (exports under both) or torch.where with a fixed size.",
    "argwhere": "Use torch.nonzero (exports under both exporters).",
    "shape": "Nothing to do for export; where a static size is needed, use a fixed-size form: topk with a "
    "fixed k, nonzero_static(size=...), or masking with torch.where.",
}


class DataDependentIndex(StoreTargets):
    """## What it does
    Checks for indexing with values decided by tensor data: a Python number from `.item()`,
    `int(t)` or `.tolist()` used as an index or a slice bound, boolean-mask reads and writes
    (`x[x > 0]`, `boxes[keep]`, `x[mask] = 0`), and operations whose output size is decided by
    tensor values (`nonzero`, `argwhere`, `masked_select`, `unique`, `unique_consecutive`,
    `torch.where(cond)` with one argument, `repeat_interleave` with a tensor of repeats).
    Tensor-valued indices (`feat[image_ids]`) export as a Gather and stay right: they are shown
    as info when the index is an input, never as a problem.

    ## Why is this bad?
    What each exporter does (torch 2.13, checked on onnxruntime with inputs that change the
    selected elements):
    - a Python number from tensor data as an index or slice bound (`x[: int(n)]`,
      `x[t.argmax().item()]`): the dynamo exporter (`torch.onnx.export(dynamo=True)`,
      `torch.export`) keeps it symbolic and stays right; the legacy tracer (`dynamo=False`)
      bakes the number of the example input and is silently wrong on other inputs. Error.
      Indexing a Python list or `nn.ModuleList` that way fails under dynamo too.
    - boolean-mask reads (`boxes[keep]`), `nonzero`, `unique`, one-argument `torch.where`,
      `repeat_interleave` with tensor repeats: both exporters export them and stay right; the
      output size is decided by tensor values. Info.
    - boolean-mask writes: both export when the mask has the tensor's shape; with a mask of
      fewer dimensions (a row mask, `boxes[~keep] = 0` on (N, 4) boxes) the legacy graph is
      rejected by onnxruntime. Error unless the mask comes from the tensor itself.
    - `masked_select`: dynamo fails at the ONNX conversion step; legacy exports it. Error.
    - `argwhere`, `unique_consecutive`: dynamo exports them; legacy fails (unsupported operator).
      Error.

    ## Example
        n = int((scores > t).sum())
        top = scores.argsort(descending=True)[:n]
    Use instead:
        order = scores.argsort(descending=True)
        top = order[: (scores > t).sum()]  # a tensor bound stays symbolic in both exporters

    ## Known problems
    Tensor ranks are not known statically: a boolean-mask write with a same-shape mask taken
    from another tensor is reported as a legacy failure although it exports. `exportlint probe`
    settles it.

    ## Fix safety
    Unsafe: the data-dependent-index fixer rewrites only the forms that have a static-shape
    equivalent computing the same values, judged on the dtype and rank the index had in one
    eager forward of the example: `x[ids]` with a 1-D integer tensor becomes
    `x.index_select(0, ids)`, a boolean-mask write `x[mask] = v` becomes `torch.where`, and
    `x[mask].sum()` / `.mean()` become masked arithmetic on the whole tensor. Other forms
    (`nonzero`, a mask read used further, `unique`, Python numbers from tensors as indices) are
    reported as manual work. The wrapper is kept only if onnxruntime matches eager.
    """

    code = "EXL203"
    name = "data-dependent-index"
    summary = "Index or output size decided by tensor values"
    probe_hint = "use index_select / gather / masked arithmetic with static shapes"
    hint = _HINTS["number"]
    VALID = [
        Valid(forward("x", "return x[:, 0] + x[..., :2].sum()")),
        Valid(forward("x", "return x[: x.shape[0] // 2]")),
        Valid(forward("x", "return x[: (x > 0).sum()]")),
        Valid(forward("x", "return torch.where(x > 0, x, 0.0)")),
        Valid(forward("x", "return x.masked_fill(x > 0, 0.0)")),
    ]
    INVALID = [
        Invalid(forward("x", "return x[: int((x > 0).sum())]"), line=7, severity="error", column=15,
                message="index from tensor values"),
        Invalid(forward("x", "return x[x.argmax().item()]"), line=7, severity="error", column=15,
                message="index from tensor values"),
        Invalid(forward("x", "return x[x > 0]"), line=7, severity="info", column=15,
                message="boolean-mask read `x[x > 0]`"),
        Invalid(forward("x", "return (x > 0).nonzero()"), line=7, severity="info", column=15,
                message="`nonzero`: the output size is decided by tensor values"),
        Invalid(forward("x", "return torch.masked_select(x, x > 0)"),
                line=7, severity="error", column=15,
                message="`masked_select`: the output size is decided by tensor"),
        Invalid(forward("x", "return torch.argwhere(x > 0)"), line=7, severity="error", column=15,
                message="`argwhere`: the output size is decided by tensor values"),
        Invalid(forward("x: torch.Tensor, ids: torch.Tensor", "return x[ids]"),
                line=7, severity="info", column=15,
                message="index tensor `ids` (an input)"),
        Invalid(forward("x: torch.Tensor, keep: torch.Tensor", "x[~(keep > 0)] = 0.0"),
                line=7, severity="error", column=8,
                message="boolean-mask write `x[~(keep > 0)] = ...`"),
    ]

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if self.flow is None:
            return
        base = self.flow.value(node.value)
        if base.form is Form.DICT:
            return
        for element in node.slice:
            if self._check_element(node, element.slice, base.form):
                return

    def visit_Call(self, node: cst.Call) -> None:
        op = self._shape_op(node)
        if op is None:
            return
        outcomes, what = _SHAPE_OPS[op]
        shown = "where` with one argument" if op == "where" else f"{op}`"
        self.report(node, f"`{shown}: the output size is decided by tensor values; {what}", outcomes,
                    hint=_HINTS.get(op, _HINTS["shape"]))

    # -- subscripts -----------------------------------------------------------------------------
    def _check_element(self, node: cst.Subscript, s: cst.BaseSlice, base: Form) -> bool:
        assert self.flow is not None
        if isinstance(s, cst.Index):
            parts = [s.value]
        else:
            assert isinstance(s, cst.Slice)
            parts = [p for p in (s.lower, s.upper, s.step) if p is not None]
        for part in parts:
            val = self.flow.value(part)
            if val.form is Form.VALUE and val.dep >= Dep.DATA:
                self._report_number(node, part, base)
                return True
        if isinstance(s, cst.Index) and self.flow.value(s.value).form is Form.TENSOR:
            return self._tensor_index(node, s.value)
        return False

    def _report_number(self, node: cst.Subscript, part: cst.BaseExpression, base: Form) -> None:
        if base is Form.TENSOR:
            outcomes = Outcomes(dynamo="ok", legacy="wrong")
            dynamo = "dynamo keeps it symbolic and stays right"
        else:
            outcomes = Outcomes(dynamo="fails", legacy="wrong")
            dynamo = "dynamo fails (a Python container indexed by a data-dependent number)"
        shown = source_text(part, width=50)
        self.report(node, f"index from tensor values (`{shown}`, a Python number): {dynamo}; legacy bakes "
                    "the number of the example input, silently wrong on other inputs", outcomes,
                    hint=_HINTS["number"])

    def _tensor_index(self, node: cst.Subscript, index: cst.BaseExpression) -> bool:
        assert self.flow is not None
        structure = sizes_of(self.flow).structure
        if is_bool_tensor(self.flow, structure, index):
            if node in self._stores:
                self._report_write(node, index)
            else:
                shown = source_text(node, width=50)
                self.report(node, f"boolean-mask read `{shown}`: the output size is decided by tensor "
                            "values; both exporters export it (NonZero) and stay right on other masks",
                            Outcomes.same("ok"), hint=_HINTS["shape"])
            return True
        if node not in self._stores and isinstance(index, cst.Name) and _is_input(self.flow.fn, structure, index):
            self.report(node, f"index tensor `{index.value}` (an input): both exporters export a Gather that "
                        "stays right for other index values; nothing to fix", Outcomes.same("ok"),
                        hint="Nothing to do: tensor-valued indices export.")
            return True
        return False

    def _report_write(self, node: cst.Subscript, mask: cst.BaseExpression) -> None:
        assert self.flow is not None
        shown = source_text(node, width=50)
        if same_base(self.flow, sizes_of(self.flow).structure, node.value, mask):
            self.report(node, f"boolean-mask write `{shown} = ...` with a mask from the tensor itself: "
                        "both exporters export it and stay right", Outcomes.same("ok"), hint=_HINTS["write"])
            return
        self.report(node, f"boolean-mask write `{shown} = ...`: dynamo exports it; legacy exports a "
                    "graph that onnxruntime rejects when the mask has fewer dimensions than the tensor "
                    "(a row mask), fine with a mask of the same shape", Outcomes(dynamo="ok", legacy="fails"),
                    hint=_HINTS["write"])

    # -- calls ----------------------------------------------------------------------------------
    def _shape_op(self, node: cst.Call) -> str | None:
        if self.flow is None:
            return None
        func = node.func
        full = resolve(dotted_name(func), self.facts.imports) or ""
        positional = [a for a in node.args if a.keyword is None]
        if full.startswith("torch.") and full.count(".") == 1:
            op = full[len("torch."):]
            tensor_repeats = len(positional) > 1 and self.flow.value(positional[1].value).form is Form.TENSOR
        elif isinstance(func, cst.Attribute) and self.flow.value(func.value).form is Form.TENSOR:
            op = func.attr.value
            tensor_repeats = bool(positional) and self.flow.value(positional[0].value).form is Form.TENSOR
        else:
            return None
        if op == "where" and (len(node.args) != 1 or not full):
            return None
        if op == "repeat_interleave" and not tensor_repeats:
            return None
        return op if op in _SHAPE_OPS else None


def _is_input(fn: cst.FunctionDef, structure: Structure, name: cst.Name) -> bool:
    """True when `name` is a parameter of `fn` not rebound before this use."""
    return name.value in param_names(fn) and not structure.reaching(name.value, name)
