"""unsupported-op: operations one or both ONNX exporters cannot express (measured with torch 2.13)."""

from __future__ import annotations

import libcst as cst

from exportlint.analysis import FileFacts, Form
from exportlint.analysis.classes import ClassInfo, ClassLookup
from exportlint.analysis.complex_values import ComplexValues
from exportlint.analysis.names import dotted_name, resolve
from exportlint.analysis.params import ARGUMENT
from exportlint.analysis.uses import Parents
from exportlint.cstwalk import nodes_in
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
    **dict.fromkeys(["histc", "bincount", "quantile", "logcumsumexp", "stft", "rms_norm",
                     "nn.functional.rms_norm"], _LEGACY),
    "cdist": _DYNAMO,
}
# torch's higher-order and symbolic-size functions, measured alone the same way.
_TRACED = {
    "torch._higher_order_ops.map.map": (_BOTH, "torch's higher-order map: dynamo fails at ONNX conversion and "
                                        "legacy cannot trace it"),
}
# Module classes built in __init__ whose forward has no legacy ONNX symbolic (measured alone).
_LEGACY_MODULES = {"torch.nn.RMSNorm": "aten::rms_norm", "torch.nn.modules.normalization.RMSNorm": "aten::rms_norm"}
# Op parameters the legacy tracer needs as Python constants: a Python number passed to forward in
# `args` reaches them as a traced tensor and the export fails (measured one by one; `dim` of
# sum/roll and `antialias=False` take the tensor).
_CONSTANT_PARAMS = {
    "nn.functional.scaled_dot_product_attention": {"is_causal": 5},
    "nn.functional.interpolate": {"scale_factor": 2, "align_corners": 4},
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


ALL_AXES_WORDS = "reduces over every axis without `dim`"  # an amax/amin finding's message


class UnsupportedOp(Rule):
    """## What it does
    Checks code reachable from `forward` for operations the ONNX exporters cannot express:
    complex numbers (`torch.view_as_complex`, `torch.polar`, `torch.complex`, complex dtypes,
    complex tensors stored on the module in `__init__`, SAM-style RoPE), FFTs, operators without an
    ONNX conversion (`torch.linalg.inv`, `median`, `searchsorted`, `histc`, `cdist`, `amax()`
    without `dim`...), Python-side randomness (`random.*`, `np.random.*`), custom `torch.autograd.Function`s and torch's
    higher-order `map`.

    ## Why is this bad?
    Measured with torch 2.13, onnxruntime against eager on a second input, per exporter:
    - the higher-order `map`: both fail.
    - complex values made in forward, or `.to(torch.complex64)`: the dynamo exporter
      (`torch.onnx.export(dynamo=True)`) converts them; the legacy tracer (`dynamo=False`)
      fails. A complex tensor stored on the module exports under dynamo too. But dynamo fails
      on `repeat`, `repeat_interleave`, `expand`, `tile`, `unsqueeze` or `exp` of a complex
      tensor, and a factory with a complex `dtype=` gives a graph onnxruntime rejects. Error.
    - FFTs (`torch.fft.*`, `torch.stft`), `histc`, `bincount`, `quantile`, `logcumsumexp`,
      `F.rms_norm` / `torch.rms_norm` and an `nn.RMSNorm` built in `__init__`: dynamo converts
      them, legacy fails. Error.
    - `F.interpolate(..., antialias=True)`, literally, from configuration set in `__init__`
      (`self.antialias = antialias` with a default of True) or from a parameter's default:
      dynamo converts it, legacy fails. Error; a value the scan cannot see is a warning.
    - `F.scaled_dot_product_attention` on a query built 5-D in the same function
      (`.reshape(b, g, h, n, d)`): legacy converts it, dynamo fails at conversion. Error.
    - a Python value forward takes, passed to an op parameter the legacy tracer needs as a
      constant (`is_causal=` of `scaled_dot_product_attention`, `scale_factor=` and
      `align_corners=` of `interpolate`): legacy makes each number passed in `args` a graph
      input, a traced tensor the op rejects, and fails; dynamo bakes the value. Error when the
      parameter has no default (the export must pass it), info when it has one.
    - `linalg.inv/svd/eigh/qr/solve/cholesky/lstsq/matrix_exp`, `median`, `kthvalue`, `mode`,
      `cummax`, `cummin`, `searchsorted`, `erfinv`, `digamma`, `lgamma`, `istft`: both fail.
      `cdist`: dynamo fails, legacy converts it. Error.
    - `x.amax()` / `x.amin()` / `torch.amax(x)` without `dim` (over every axis): legacy
      converts it, dynamo fails at conversion (its ONNX function requires `dim`). Error.
    - `random.random()`, `np.random.*`: both record the value drawn at export as a constant, so
      every run of the graph reuses it, silently. Error.
    - a custom `torch.autograd.Function`: both trace its forward op by op (backward is
      ignored), so it exports when its forward does. Info.
    `masked_select` is reported by `data-dependent-index`; numpy round trips, `torch.sym_min` /
    `sym_max` and `round()` of a size by `tensor-to-python`; `torch.cond` by `dynamic-branch`.

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
    onnxruntime matches eager. When the legacy exporter is chosen, `torch.fft` transforms
    (fft, ifft, rfft, irfft and their 2-D and n-D forms) become matmuls with DFT matrices on
    those pairs. Operator-table entries, other FFT functions, autograd Functions and Python
    randomness have no faithful automatic rewrite and are reported as manual work. `amax()` /
    `amin()` over every axis become `max()` / `min()` (the same value).
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
        Valid(forward("x", "return x / x.amax(dim=(0, 1)) + x.max()")),
        Valid(forward("x", "return x if x.dtype == torch.complex64 else x * 2")),
        Valid(forward("x", "return torch.rand(x.shape) * x")),
        Valid(forward("x", "return x[:, : x.shape[1] // 2] * round(2.5)")),
        Valid(forward("x", "return min(x.shape[0], 3) * x")),
        Valid(forward("x", "return torch.nn.functional.interpolate(x, size=(4, 4), mode='bilinear', "
                      "antialias=False)")),
        Valid(forward("q, k, v", "return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)")),
        Valid(forward("x", "q = x.reshape(2, 3, 5, 8)\n        "
                      "return torch.nn.functional.scaled_dot_product_attention(q, q, q)")),
    ]
    INVALID = [
        Invalid(forward("x", "return x / x.amax()"), line=7, severity="error", column=19,
                message="`x.amax()` reduces over every axis without `dim`"),
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
        Invalid(forward("x, w", "return torch.nn.functional.rms_norm(x, (8,), w)"), line=7, severity="error",
                column=15, message="`torch.nn.functional.rms_norm(x, (8,), w)`: dynamo converts it; legacy raises"),
        Invalid(
            "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n\n\nclass M(nn.Module):\n"
            "    def __init__(self, antialias=True):\n        super().__init__()\n"
            "        self.antialias = antialias\n\n"
            "    def forward(self, x):\n"
            "        return F.interpolate(x, size=(4, 4), mode='bilinear', antialias=self.antialias)\n",
            line=12, severity="error", column=15,
            message="`F.interpolate(x, size=(4, 4), mode='bilinear', antialias=...` with antialias=True (the value "
                    "this module is configured with)"),
        Invalid(forward("x", "q = x.reshape(1, 2, 3, 5, 8)\n        "
                        "return torch.nn.functional.scaled_dot_product_attention(q, q, q)"),
                line=8, severity="error", column=15, message="`torch.nn.functional.scaled_dot_product_attention(q, q, q)` on 5-D tensors"),
        Invalid(forward("q, k, v, causal: bool",
                        "return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)"),
                line=7, severity="error", column=15,
                message="`torch.nn.functional.scaled_dot_product_attention(q, k, v,...` gets `is_causal=causal`, "
                        "a Python value forward takes without a default"),
        Invalid(forward("q, k, v, causal: bool = False",
                        "return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)"),
                line=7, severity="info", column=15,
                message="`torch.nn.functional.scaled_dot_product_attention(q, k, v,...` gets `is_causal=causal`, "
                        "a Python value forward takes (with a default"),
        Invalid("import torch\nfrom torch import nn\nfrom torch._higher_order_ops.map import map\n\n\n"
                "class M(nn.Module):\n    def forward(self, xs):\n        return map(lambda t: t.cos(), xs)\n",
                line=8, severity="error", column=15, message="`map(lambda t: t.cos(), xs)`: torch's higher-order map"),
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
            built = resolve(name, self.flow.imports) or ""
            if built in _LEGACY_MODULES:
                self._legacy_module(node, built)
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
                        hint="Select the dynamo exporter, or let `exportlint fix` rewrite it as DFT "
                        "matmuls (fft/ifft/rfft/irfft and their 2-D and n-D forms).")
        elif full in _TRACED:
            outcomes, why = _TRACED[full]
            self.report(node, f"`{source_text(node)}`: {why}", outcomes, hint=_OP_HINT)
        elif full.startswith(("random.", "numpy.random.")):
            self.report(node, f"`{source_text(node)}` draws a random number in Python: both exporters record the "
                        "value drawn at export as a constant, so every run of the graph reuses it, silently",
                        Outcomes.same("wrong"), hint="Draw with torch.rand / torch.randn (exported as random ops), "
                        "or pass the random values in as an input.")
        else:
            self._operator(node, full)

    def _every_axis(self, node: cst.Call, op: str) -> bool:
        """`x.amax()` / `torch.amin(x)`: a reduction over every axis, no `dim` given."""
        assert self.flow is not None
        func = node.func
        given = [a for a in node.args if a.keyword is None]
        keywords = {a.keyword.value for a in node.args if a.keyword is not None}
        if op in ("amax", "amin"):
            return len(given) == 1 and not keywords & {"dim"}
        if isinstance(func, cst.Attribute) and func.attr.value in ("amax", "amin") and not op:
            return not given and "dim" not in keywords and self.flow.value(func.value).form is Form.TENSOR
        return False

    def _operator(self, node: cst.Call, full: str) -> None:
        assert self.flow is not None
        func = node.func
        op = full[len("torch."):] if full.startswith("torch.") else ""
        method = isinstance(func, cst.Attribute) and not op and func.attr.value in _METHOD_OPS
        if method and isinstance(func, cst.Attribute) and self.flow.value(func.value).form is Form.TENSOR:
            op = func.attr.value
        antialias = self._antialias(node) if op == "nn.functional.interpolate" else None
        constant = self._argument_for_constant(node, op) if op in _CONSTANT_PARAMS else None
        five_d = op == "nn.functional.scaled_dot_product_attention" and self._five_d(node)
        if antialias == "true":
            self.report(node, f"`{source_text(node)}` with antialias=True: {_WHY[_LEGACY]}", _LEGACY, hint=_OP_HINT)
        elif antialias in ("config", "default"):
            how = "the value this module is configured with" if antialias == "config" else "its parameter's default"
            self.report(node, f"`{source_text(node)}` with antialias=True ({how}): {_WHY[_LEGACY]}", _LEGACY,
                        hint=_OP_HINT)
        elif antialias == "unknown":
            self.report(node, f"`{source_text(node)}` takes antialias from a value the scan cannot see: when it "
                        "is True, legacy raises UnsupportedOperatorError (no symbolic for the antialiased "
                        "upsample); dynamo converts it", Outcomes(dynamo="ok", legacy="specialized"), hint=_OP_HINT)
        elif constant is not None:
            keyword, name, required = constant
            taken = "a Python value forward takes without a default" if required else \
                "a Python value forward takes (with a default the export keeps unless it passes one)"
            self.report(node, f"`{source_text(node)}` gets `{keyword}={name}`, {taken}: dynamo bakes in the value "
                        "passed at export; legacy makes every number passed in `args` a graph input, a traced "
                        f"tensor that `{keyword}` cannot take, and the export fails",
                        Outcomes(dynamo="specialized", legacy="fails") if required else Outcomes.same("ok"),
                        hint=f"Fix `{name}` in the model (an attribute set in __init__, or the default) instead "
                        "of passing it to forward in the export's `args`.")
        elif five_d:
            self.report(node, f"`{source_text(node)}` on 5-D tensors: legacy converts it; dynamo fails at "
                        "conversion (its ONNX attention function takes 3-D or 4-D tensors)", _DYNAMO,
                        hint="Fold the extra dimension into the batch (`q.flatten(0, 1)`) around the call.")
        elif self._every_axis(node, op):
            self.report(node, f"`{source_text(node)}` {ALL_AXES_WORDS}: legacy converts it; dynamo fails at "
                        "conversion (its ONNX function requires `dim`)", _DYNAMO,
                        hint="Use `.max()` / `.min()` (the same value; both exporters convert it) or name "
                        "the axes (`x.amax(dim=(0, 1))`): `exportlint fix --rule unsupported-op` rewrites it.")
        elif op in _OPS:
            self.report(node, f"`{source_text(node)}`: {_WHY[_OPS[op]]}", _OPS[op], hint=_OP_HINT)
        elif isinstance(func, cst.Attribute) and func.attr.value == "apply" and self._autograd(func.value):
            self.report(node, f"`{source_text(node)}` runs a custom torch.autograd.Function: both exporters trace "
                        "its forward op by op (backward is ignored), so it exports when its forward does",
                        Outcomes.same("ok"), hint="Nothing to do if its forward uses exportable ops.")

    def _antialias(self, node: cst.Call) -> str | None:
        """"true" for a literal True, "config" / "default" for configuration / a parameter default
        that is True, "unknown" when the scan cannot tell, None when it is absent or False."""
        assert self.flow is not None
        arg = next((a for a in node.args if a.keyword is not None and a.keyword.value == "antialias"), None)
        if arg is None:
            return None
        value = arg.value
        if isinstance(value, cst.Name) and value.value in ("True", "False"):
            return "true" if value.value == "True" else None
        known = _literal(value) if not isinstance(value, (cst.Name, cst.Attribute)) else _MISSING
        if known is _MISSING:
            known = self._configured(value)
        if known is _MISSING:
            return "unknown"
        return ("default" if isinstance(value, cst.Name) else "config") if known else None

    def _configured(self, value: cst.BaseExpression) -> object:
        """The literal a forward expression holds: a parameter's default, or `self.<attr>` as
        `__init__` sets it (a literal, or an `__init__` parameter's literal default)."""
        assert self.flow is not None
        if isinstance(value, cst.Name):
            param = _param(self.flow.fn, value.value)
            return _literal(param.default) if param is not None and param.default is not None else _MISSING
        attr = dotted_name(value) or ""
        if not attr.startswith("self.") or attr.count(".") != 1:
            return _MISSING
        info = self.facts.classes.get(self.flow.owner or "")
        found = ClassLookup(self.facts.classes).method(info, "__init__") if info is not None else None
        if found is None:
            return _MISSING
        init = found[1]
        stored = [n.value for n in nodes_in(init.body) if isinstance(n, cst.Assign) and len(n.targets) == 1
                  and dotted_name(n.targets[0].target) == attr]
        if len(stored) != 1:
            return _MISSING
        if isinstance(stored[0], cst.Name) and stored[0].value not in ("True", "False", "None"):
            param = _param(init, stored[0].value)
            return _literal(param.default) if param is not None and param.default is not None else _MISSING
        return _literal(stored[0])

    def _argument_for_constant(self, node: cst.Call, op: str) -> tuple[str, str, bool] | None:
        """The op parameter, the forward parameter and whether it is required, when a non-tensor
        forward parameter is passed to one of the op's constant parameters (by keyword or position)."""
        assert self.flow is not None
        for keyword, position in _CONSTANT_PARAMS[op].items():
            args = [a for a in node.args if a.keyword is not None and a.keyword.value == keyword]
            positional = [a for a in node.args if a.keyword is None and not a.star]
            if not args and len(positional) > position:
                args = [positional[position]]
            for arg in args:
                value = arg.value
                if not isinstance(value, cst.Name) or self.flow.env.get(value.value) != ARGUMENT:
                    continue
                param = _param(self.flow.fn, value.value)
                if param is not None and self.flow.symbol.endswith(".forward"):
                    return keyword, value.value, param.default is None
        return None

    def _five_d(self, node: cst.Call) -> bool:
        """Whether the query of an attention call is built 5-D in this function (`.reshape(b, g, h, n, d)`)."""
        assert self.flow is not None
        positional = [a for a in node.args if a.keyword is None and not a.star]
        query = positional[0].value if positional else None
        if query is None:
            return False
        if isinstance(query, cst.Name):
            stored = [n.value for n in nodes_in(self.flow.fn.body) if isinstance(n, cst.Assign)
                      and len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name)
                      and n.targets[0].target.value == query.value]
            return bool(stored) and all(_built_rank(v) == 5 for v in stored)
        return _built_rank(query) == 5

    def _legacy_module(self, node: cst.Call, built: str) -> None:
        """An nn module without a legacy symbolic, stored on self in __init__ and used by forward."""
        assert self.flow is not None
        parents = Parents.of(self.flow.fn)
        up: cst.CSTNode | None = node
        while up is not None and not isinstance(up, cst.Assign):
            up = parents.parent(up)
        if up is None or len(up.targets) != 1:
            return
        attr = dotted_name(up.targets[0].target) or ""
        if not attr.startswith("self.") or not self._complex.read_in_forward(self.flow.owner, attr[len("self."):]):
            return
        self.report(node, f"`{source_text(node)}` ({built.rsplit('.', 1)[-1]}), used by forward as `{attr}`: dynamo "
                    f"converts it; legacy raises UnsupportedOperatorError (no ONNX symbolic for "
                    f"{_LEGACY_MODULES[built]})", _LEGACY, hint=_OP_HINT)

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


_MISSING = object()


def _literal(expr: cst.BaseExpression | None) -> object:
    """The Python value of a literal (True/False/None, a number, a string), else _MISSING."""
    if isinstance(expr, cst.Name) and expr.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[expr.value]
    if isinstance(expr, (cst.Integer, cst.Float, cst.SimpleString)):
        return expr.evaluated_value
    return _MISSING


def _param(fn: cst.FunctionDef, name: str) -> cst.Param | None:
    return next((p for p in (*fn.params.params, *fn.params.kwonly_params) if p.name.value == name), None)


def _built_rank(expr: cst.BaseExpression) -> int | None:
    """The rank of `t.reshape(a, b, ...)` / `t.view(...)` with sizes listed one by one."""
    if not isinstance(expr, cst.Call) or not isinstance(expr.func, cst.Attribute) or \
            expr.func.attr.value not in ("reshape", "view"):
        return None
    if any(a.star or a.keyword is not None for a in expr.args):
        return None
    if len(expr.args) == 1 and isinstance(expr.args[0].value, (cst.Tuple, cst.List)):
        elements = expr.args[0].value.elements
        return None if any(isinstance(e, cst.StarredElement) for e in elements) else len(elements)
    return len(expr.args)
