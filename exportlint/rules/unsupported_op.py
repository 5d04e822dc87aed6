"""unsupported-op: operations one or both ONNX exporters cannot express (measured with torch 2.13)."""

from __future__ import annotations

import libcst as cst

from exportlint.analysis import FileFacts, Form
from exportlint.analysis.classes import ClassInfo
from exportlint.analysis.complex_values import ComplexValues
from exportlint.analysis.names import dotted_name, resolve
from exportlint.analysis.uses import Parents
from exportlint.model import Outcomes
from exportlint.analysis.names import source_text
from exportlint.rules.base import Invalid, Rule, Valid, forward

_BOTH, _LEGACY, _DYNAMO = Outcomes.same("fails"), Outcomes(dynamo="ok", legacy="fails"), Outcomes("fails", "ok")
# Operator name -> who fails, from exporting each one alone and comparing onnxruntime with eager.
_OPS: dict[str, Outcomes] = {
    **dict.fromkeys(["linalg.inv", "inverse", "linalg.svd", "svd", "linalg.eigh", "linalg.qr", "linalg.solve",
                     "linalg.cholesky", "linalg.lstsq", "linalg.matrix_exp", "searchsorted", "median", "nanmedian",
                     "kthvalue", "mode", "cummax", "cummin", "erfinv", "special.erfinv", "digamma",
                     "special.digamma", "lgamma", "istft"], _BOTH),
    **dict.fromkeys(["histc", "bincount", "quantile", "logcumsumexp", "stft"], _LEGACY),
    "cdist": _DYNAMO,
}
# torch's higher-order and symbolic-size functions, measured alone the same way.
_TRACED = {
    "torch.cond": (_LEGACY, "dynamo exports it as an ONNX If; legacy fails (it cannot trace a higher-order op)"),
    "torch._higher_order_ops.cond.cond": (_LEGACY, "dynamo exports it as an ONNX If; legacy fails (it cannot "
                                          "trace a higher-order op)"),
    "torch._higher_order_ops.map.map": (_BOTH, "torch's higher-order map: dynamo fails at ONNX conversion and "
                                        "legacy cannot trace it"),
    "torch.sym_min": (_LEGACY, "dynamo keeps the size symbolic; legacy fails (sizes are traced tensors there)"),
    "torch.sym_max": (_LEGACY, "dynamo keeps the size symbolic; legacy fails (sizes are traced tensors there)"),
}
_METHOD_OPS = {"inverse", "median", "nanmedian", "kthvalue", "cummax", "cummin", "erfinv", "digamma", "lgamma",
               "histc", "bincount", "quantile", "logcumsumexp", "stft", "istft"}
_WHY = {
    _BOTH: "no ONNX conversion in either exporter (dynamo fails at conversion, legacy raises "
           "UnsupportedOperatorError)",
    _LEGACY: "dynamo converts it; legacy raises UnsupportedOperatorError (no ONNX symbolic)",
    _DYNAMO: "legacy converts it; dynamo fails at conversion (no ONNX function)",
}
_OP_HINT = ("Replace it with ops both exporters support, compute it outside the exported model, or select the "
            "exporter that converts it (`--exporter`).")
_COMPLEX_HINT = ("Rotate with real tensors instead: keep cos/sin tables and compute (x1*cos - x2*sin, "
                 "x1*sin + x2*cos); a real-valued rotation exports under both and matches "
                 "(`exportlint fix --rule unsupported-op`).")
_COMPLEX = ("complex tensors: dynamo converts them (as real/imaginary pairs); legacy fails "
            "(UnsupportedOperatorError / 'ScalarType ComplexFloat')")


class UnsupportedOp(Rule):
    """## What it does
    Checks code reachable from `forward` for operations the ONNX exporters cannot express:
    complex numbers (`torch.view_as_complex`, `torch.polar`, `torch.complex`, complex dtypes,
    complex tensors stored on the module in `__init__`, SAM-style RoPE), FFTs, operators without an
    ONNX conversion (`torch.linalg.inv`, `median`, `searchsorted`, `histc`, `cdist`...), Python-side
    randomness (`random.*`, `np.random.*`), custom `torch.autograd.Function`s, torch's
    higher-order ops (`torch.cond`, the higher-order `map`) and symbolic-size helpers
    (`torch.sym_min`/`sym_max`, `round()` of a size).

    ## Why is this bad?
    Measured with torch 2.13, onnxruntime against eager on a second input, per exporter:
    - `torch.cond`: dynamo exports an ONNX If and stays right; legacy fails. The higher-order
      `map`: both fail. `torch.sym_min(x.shape[0], 3)` and `round(x.shape[1] / 2)`: dynamo
      stays right; legacy fails (sizes are traced tensors under the tracer).
    - complex values made in forward, or `.to(torch.complex64)`: the dynamo exporter
      (`torch.onnx.export(dynamo=True)`) converts them; the legacy tracer (`dynamo=False`)
      fails. A complex tensor stored on the module exports under dynamo too. But dynamo fails
      on `repeat`, `repeat_interleave`, `expand`, `tile`, `unsqueeze` or `exp` of a complex
      tensor, and a factory with a complex `dtype=` gives a graph onnxruntime rejects. Error.
    - FFTs (`torch.fft.*`, `torch.stft`), `histc`, `bincount`, `quantile`, `logcumsumexp`:
      dynamo converts them, legacy fails. Error.
    - `linalg.inv/svd/eigh/qr/solve/cholesky/lstsq/matrix_exp`, `median`, `kthvalue`, `mode`,
      `cummax`, `cummin`, `searchsorted`, `erfinv`, `digamma`, `lgamma`, `istft`: both fail.
      `cdist`: dynamo fails, legacy converts it. Error.
    - `random.random()`, `np.random.*`: both record the value drawn at export as a constant, so
      every run of the graph reuses it, silently. Error.
    - a custom `torch.autograd.Function`: both trace its forward op by op (backward is
      ignored), so it exports when its forward does. Info.
    `masked_select` is reported by `data-dependent-index`, numpy round trips by
    `tensor-to-python`.

    ## Example
        xq_ = torch.view_as_complex(xq.reshape(*xq.shape[:-1], -1, 2))
        out = torch.view_as_real(xq_ * freqs_cis).flatten(3)
    Use instead:
        x1, x2 = xq[..., 0::2], xq[..., 1::2]
        out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(3)

    ## Known problems
    Complex values are followed through local names, `self` attributes (also set through
    `functools.partial`), helper functions of the file that return them, and helper parameters
    that a call in the same file fills with a complex value. A helper called only from other
    files is not followed, except for a `*_cis` parameter (`freqs_cis`: cis = cos + i sin) of a
    helper that itself builds complex values.

    ## Fix safety
    Unsafe: the unsupported-op fixer rewrites complex-number code (SAM-style RoPE) as real
    (re, im) pairs in a wrapper, reading complex attributes through a real view; the complex
    multiply becomes the real formula, so results match, and the wrapper is kept only if
    onnxruntime matches eager. Operator-table entries, autograd Functions and Python randomness
    have no faithful automatic rewrite and are reported as manual work.
    """

    code = "EXL302"
    name = "unsupported-op"
    summary = "Operation an ONNX exporter cannot express (complex, FFT, linalg, Python randomness)"
    probe_hint = "rewrite with supported ops (e.g. complex RoPE as real cos/sin rotation)"
    hint = _OP_HINT
    scopes = ("forward", "init")
    VALID = [
        Valid(forward("x", "return torch.view_as_real(torch.randn(3)) * x")),
        Valid(forward("x", "return x.cos() * 2 + x.sin()")),
        Valid(forward("x", "return x if x.dtype == torch.complex64 else x * 2")),
        Valid(forward("x", "return torch.rand(x.shape) * x")),
        Valid(forward("x", "return x[:, : x.shape[1] // 2] * round(2.5)")),
        Valid(forward("x", "return min(x.shape[0], 3) * x")),
    ]
    INVALID = [
        Invalid(forward("x, a", "return torch.view_as_real(torch.polar(x, a))"),
                line=7, severity="error", column=34,
                message="`torch.polar(x, a)` makes complex tensors"),
        Invalid(forward("x", "return torch.fft.rfft2(x).abs()"),
                line=7, severity="error", column=15,
                message="`torch.fft.rfft2(x)`"),
        Invalid(forward("x", "return torch.linalg.inv(x)"), line=7, severity="error", column=15,
                message="`torch.linalg.inv(x)`"),
        Invalid(forward("x", "return x * random.random()"), line=7, severity="error", column=19,
                message="`random.random()` draws a random number in Python"),
        Invalid(forward("x", "return x.to(torch.complex64).abs()"),
                line=7, severity="error", column=20,
                message="`torch.complex64` makes complex tensors"),
        Invalid(forward("x", "return x.median(dim=-1)"), line=7, severity="error", column=15,
                message="`x.median(dim=-1)`: no ONNX conversion in either exporter"),
        Invalid(forward("x", "c = torch.view_as_complex(x)\n        return c.repeat(2, 1)"),
                line=8, severity="error", column=15,
                message="`c.repeat(2, 1)` on a complex tensor", also=(7,)),
        Invalid(
            "import torch\nfrom torch import nn\n\n\nclass Fn(torch.autograd.Function):\n"
            "    @staticmethod\n    def forward(ctx, x):\n        return x * 2\n\n\n"
            "class M(nn.Module):\n    def forward(self, x):\n        return Fn.apply(x)\n",
            line=13,
            severity="info", column=15,
            message="`Fn.apply(x)` runs a custom torch.autograd.Function",
        ),
        Invalid(forward("x", "return torch.cond(x.sum() > 0, lambda t: t * 2, lambda t: t - 1, (x,))"),
                line=7, severity="error", column=15, message="`torch.cond(x.sum() > 0"),
        Invalid("import torch\nfrom torch import nn\nfrom torch._higher_order_ops.map import map\n\n\n"
                "class M(nn.Module):\n    def forward(self, xs):\n        return map(lambda t: t.cos(), xs)\n",
                line=8, severity="error", column=15, message="`map(lambda t: t.cos(), xs)`: torch's higher-order map"),
        Invalid(forward("x", "return x[: torch.sym_min(x.shape[0], 3)]"),
                line=7, severity="error", column=19, message="`torch.sym_min(x.shape[0], 3)`: dynamo keeps"),
        Invalid(forward("x", "return x[:, : round(x.shape[1] / 2)]"),
                line=7, severity="error", column=22, message="`round(x.shape[1] / 2)` rounds a size"),
    ]

    def __init__(self, facts: FileFacts) -> None:
        super().__init__(facts)
        self._complex = ComplexValues(facts)

    def check_class(self, info: ClassInfo) -> None:
        self._complex.class_attrs(info)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.scope == "init" and self.flow is not None:
            for target in node.targets:
                self._stored_complex(node, target.target, node.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.scope != "forward" or self.flow is None:
            return
        if not self._complex.is_complex_dtype(node, self.flow.imports):
            return
        parents = Parents.of(self.flow.fn)
        up = parents.parent(node)
        if any(isinstance(a, cst.Comparison) for a in parents.ancestors(node)[:3]):
            return
        if isinstance(up, cst.Arg) and up.keyword is not None and up.keyword.value == "dtype":
            call = parents.parent(up)
            if isinstance(call, cst.Call) and not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "to"):
                self.report(node, f"`{source_text(node)}` as a factory dtype: dynamo produces a graph onnxruntime "
                            "rejects (complex64 inputs to real ops); legacy fails on the complex value",
                            _BOTH, hint=_COMPLEX_HINT)
                return
        self.report(node, f"`{source_text(node)}` makes {_COMPLEX}", _LEGACY, hint=_COMPLEX_HINT)

    def visit_Call(self, node: cst.Call) -> None:
        flow = self.flow
        if flow is None:
            return
        if self.scope == "init":
            name = dotted_name(node.func) or ""
            if name == "self.register_buffer" and len(node.args) > 1:
                key = node.args[0].value
                label = f"self.{key.evaluated_value!s}" if isinstance(key, cst.SimpleString) else "a buffer"
                self._stored_complex(node, None, node.args[1].value, label)
            return
        full = resolve(dotted_name(node.func), flow.imports) or ""
        if self._complex.is_maker(node, flow.imports):
            self.report(node, f"`{source_text(node)}` makes {_COMPLEX}", _LEGACY, hint=_COMPLEX_HINT)
        elif self._complex.dynamo_breaks(node, flow):
            self.report(node, f"`{source_text(node)}` on a complex tensor: dynamo fails at conversion (no complex "
                        "ONNX function for it) and legacy fails on the complex value", _BOTH, hint=_COMPLEX_HINT)
        elif full.startswith("torch.fft."):
            self.report(node, f"`{source_text(node)}`: dynamo converts FFTs; legacy raises "
                        "UnsupportedOperatorError (no ONNX symbolic for aten::fft_*)", _LEGACY,
                        hint="Select the dynamo exporter, or compute the transform outside the model.")
        elif full in _TRACED:
            outcomes, why = _TRACED[full]
            self.report(node, f"`{source_text(node)}`: {why}", outcomes, hint=_OP_HINT)
        elif full == "round" and node.args and _mentions_size(node.args[0].value):
            self.report(node, f"`{source_text(node)}` rounds a size: dynamo computes it symbolically; legacy fails "
                        "(sizes are traced tensors there, and a tensor has no __round__)", _LEGACY,
                        hint="Use integer arithmetic on the size (`(n + 1) // 2`) or `int(...)`: both exporters "
                        "take it.")
        elif full.startswith(("random.", "numpy.random.")):
            self.report(node, f"`{source_text(node)}` draws a random number in Python: both exporters record the "
                        "value drawn at export as a constant, so every run of the graph reuses it, silently",
                        Outcomes.same("wrong"), hint="Draw with torch.rand / torch.randn (exported as random ops), "
                        "or pass the random values in as an input.")
        else:
            self._operator(node, full)

    def _operator(self, node: cst.Call, full: str) -> None:
        assert self.flow is not None
        func = node.func
        op = full[len("torch."):] if full.startswith("torch.") else ""
        method = isinstance(func, cst.Attribute) and not op and func.attr.value in _METHOD_OPS
        if method and isinstance(func, cst.Attribute) and self.flow.value(func.value).form is Form.TENSOR:
            op = func.attr.value
        if op == "nn.functional.interpolate" and _keyword_true(node, "antialias"):
            self.report(node, f"`{source_text(node)}` with antialias=True: {_WHY[_LEGACY]}", _LEGACY, hint=_OP_HINT)
        elif op in _OPS:
            self.report(node, f"`{source_text(node)}`: {_WHY[_OPS[op]]}", _OPS[op], hint=_OP_HINT)
        elif isinstance(func, cst.Attribute) and func.attr.value == "apply" and self._autograd(func.value):
            self.report(node, f"`{source_text(node)}` runs a custom torch.autograd.Function: both exporters trace "
                        "its forward op by op (backward is ignored), so it exports when its forward does",
                        Outcomes.same("ok"), hint="Nothing to do if its forward uses exportable ops.")

    def _autograd(self, receiver: cst.BaseExpression) -> bool:
        info = self.facts.classes.get(dotted_name(receiver) or "")
        return info is not None and any(b.endswith(("autograd.Function", "autograd.function.Function"))
                                        for b in info.bases)

    def _stored_complex(self, node: cst.CSTNode, target: cst.BaseExpression | None, value: cst.BaseExpression,
                        label: str = "") -> None:
        """Report a complex tensor built in __init__ and stored on self, when forward reads it."""
        assert self.flow is not None
        if target is not None:
            attr = dotted_name(target) or ""
            if not attr.startswith("self.") or attr.count(".") != 1:
                return
            label = attr
        if not self._complex.expr_is_complex(value, self.flow.fn, self.flow.owner, depth=0):
            return
        if not self._complex.read_in_forward(self.flow.owner, label[len("self."):]):
            return
        self.report(node, f"`{label}` holds a complex tensor built in `__init__`: dynamo stores it as a real "
                    "initializer and exports (until a repeat/expand/unsqueeze/exp of it); legacy fails on "
                    "the complex value", _LEGACY, hint=_COMPLEX_HINT)


def _keyword_true(node: cst.Call, name: str) -> bool:
    return any(a.keyword is not None and a.keyword.value == name and isinstance(a.value, cst.Name)
               and a.value.value == "True" for a in node.args)


def _mentions_size(expr: cst.BaseExpression) -> bool:
    """Whether an expression reads a tensor size (`x.shape[1]`, `x.size(0)`)."""
    found = []

    class _Size(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if node.attr.value == "shape":
                found.append(node)

        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "size":
                found.append(node)

    expr.visit(_Size())
    return bool(found)
