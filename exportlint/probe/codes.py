"""Every rule code the probe can report, in one place.

Probe findings about a known pattern use the static rule's public slug and code; what only
a probe can see (an eager failure, a divergence not tied to a line, a crash) uses 9xx codes.
"""

from __future__ import annotations

# The static rules' public IDs (kept in step with exportlint/rules/).
STATIC_CODES: dict[str, str] = {
    "dynamic-branch": "EXL101",
    "dynamic-loop": "EXL102",
    "list-tensor-input": "EXL201",
    "dict-access": "EXL202",
    "data-dependent-index": "EXL203",
    "tensor-to-python": "EXL204",
    "variable-length-cat": "EXL301",
    "unsupported-op": "EXL302",
    "hardcoded-device": "EXL303",
    "injected-module": "EXL304",
}

# Found only by probing.
PROBE_CODES: dict[str, str] = {
    "eager-failure": "EXL901",        # the model fails on its own example inputs
    "output-divergence": "EXL902",    # onnxruntime differs from eager, no line to blame
    "export-error": "EXL903",         # an exporter failed for a reason no rule names
    "invalid-onnx": "EXL904",         # onnx.checker rejects the exported file
    "onnxruntime-error": "EXL905",    # onnxruntime cannot load or run the exported file
    "probe-timeout": "EXL906",        # the target ran past --timeout
    "probe-crash": "EXL907",          # the child process died (segfault, os._exit)
}

ALL_CODES: dict[str, str] = {**STATIC_CODES, **PROBE_CODES}

HINTS: dict[str, str] = {
    "dynamic-branch": "express both outcomes in the graph (torch.where / torch.cond) or freeze "
                      "the choice: `exportlint fix --rule dynamic-branch`",
    "dynamic-loop": "loop a fixed number of times and mask the extra iterations",
    "list-tensor-input": "pass each tensor as its own input; end args with `{}` when the last "
                         "one is a dict",
    "dict-access": "pass memory as a stacked tensor with a validity mask",
    "data-dependent-index": "use index_select / gather / masked arithmetic with static shapes",
    "tensor-to-python": "keep the value a tensor; avoid int() / .item() / .tolist() in forward",
    "variable-length-cat": "concatenate a fixed number of padded slots and mask them",
    "unsupported-op": "rewrite with supported ops (e.g. complex RoPE as real cos/sin rotation)",
    "hardcoded-device": "use the device of an input tensor instead of .cuda() / 'cuda'",
    "injected-module": "make sure the injected module exports on its own",
    "eager-failure": "fix the model or its example inputs first: this is not an export problem",
    "output-divergence": "compare intermediate outputs to find the baked value",
    "export-error": "read the evidence; run `exportlint scan` on the module for known patterns",
    "invalid-onnx": "report the exporter bug with the model; try the other exporter",
    "onnxruntime-error": "try the other exporter or a different opset",
    "probe-timeout": "raise --timeout or probe a smaller submodule (--depth)",
    "probe-crash": "probe submodules one at a time (--depth) to find the one that crashes",
}


def code_for(rule: str) -> str:
    """The code of a rule slug the probe reports."""
    return ALL_CODES[rule]
