"""verify: export a module to ONNX, check it and compare onnxruntime with eager.

torch, onnx and onnxruntime are imported inside the functions only, so importing this
package is cheap and works without the probe extra. Results are frozen dataclasses of plain
data (`exportlint.verify.results`), safe to turn into JSON with `dataclasses.asdict`.

Public API
----------
Export and check:
    export_onnx(module, args, kwargs=None, *, path, exporter="dynamo", dynamic_axes=None,
                output_names=None, opset=None) -> ExportResult
        One `torch.onnx.export` call (`dynamo=True` for "dynamo", `dynamo=False` for
        "legacy"), written atomically. Never raises for an export error: `ExportResult.failure`
        holds the class, message and frames; `.warnings` holds every warning (TracerWarning ...)
        with the user line it came from; `.input_names` are the graph inputs kept and
        `.dropped_inputs` the example inputs the exporter dropped.
    check_onnx(path) -> CheckResult                     `onnx.checker.check_model(full_check=True)`

Run and compare:
    run_onnxruntime(path, leaves) -> list[ndarray]      feeds graph inputs BY NAME
    run_feeds(path, {name: array}) -> list[ndarray]
    eager_outputs(fn, input_set) -> list[ndarray]       flattened tensor outputs, no_grad
    compare_outputs(expected, actual, names=(), rtol=1e-3, atol=1e-4) -> tuple[OutputDiff, ...]
    compare_on(path, forward, input_set, *, reference=None, rtol, atol) -> Comparison
    verify_module(module, args, kwargs=None, *, path, exporter="dynamo", input_sets=(),
                  reference=None, dynamic_axes=None, output_names=None, rtol, atol) -> VerifyReport
        export + checker + parity on the examples and every input set; pass `reference=` the
        user's original model to check a wrapper against it. `VerifyReport.ok` is the verdict.

Inputs:
    flatten_inputs(forward, args, kwargs) -> list[Leaf]  exporter-style names: `x`, `feats_0`,
        `memory_frame_3`, keyword args by key (nested list/tuple/dict flattened in order)
    legacy_leaves(forward, args, kwargs) -> list[Leaf]   what the legacy exporter takes as
        inputs, in its order (tensors, bool/int/float, non-string dict keys as `<dict>_<k>_key`)
    named_leaves(forward, args, kwargs) -> list[Leaf]    union of both, for feeding by name
    flatten_outputs(output) -> list[Leaf]                tensor leaves named `out_0`, `out_1_a`
    map_inputs(forward, args, kwargs, fn) -> (args, kwargs)   rebuild with fn(name, leaf)
    perturb_inputs(forward, args, kwargs=None, *, seed=0, dynamic=None, extra=())
        -> tuple[InputSet, ...]   "values-1", "values-2", "flipped", "sizes" (dynamic axes), extra

Frames:
    failure_from_exception(error) -> Failure             whole cause chain + quoted frames
    first_user_frame(frames, prefer=()) -> Frame | None  innermost frame outside torch & co.
    is_user_path(path) -> bool

Isolation:
    run_in_child("pkg.mod:function", payload, *, label, timeout=300.0, cwd=None) -> ChildOutcome
        calls the function in a fresh interpreter (own process group); a timeout, segfault or
        os._exit becomes `ChildOutcome.error`, one line starting with `label`.
"""

from __future__ import annotations

from exportlint.verify.compare import DEFAULT_ATOL, DEFAULT_RTOL, compare_arrays, compare_outputs
from exportlint.verify.export import export_onnx
from exportlint.verify.flatten import (
    Leaf,
    flatten_inputs,
    flatten_outputs,
    legacy_leaves,
    map_inputs,
    named_leaves,
    to_numpy,
)
from exportlint.verify.frames import failure_from_exception, first_user_frame, is_user_path
from exportlint.verify.isolate import DEFAULT_TIMEOUT, ChildOutcome, run_in_child
from exportlint.verify.ort import check_onnx, run_feeds, run_onnxruntime
from exportlint.verify.parity import compare_on, eager_outputs, verify_module
from exportlint.verify.perturb import perturb_inputs
from exportlint.verify.results import (
    CapturedWarning,
    CheckResult,
    Comparison,
    ExportResult,
    Failure,
    Frame,
    InputSet,
    OutputDiff,
    VerifyReport,
)

__all__ = [
    "DEFAULT_ATOL", "DEFAULT_RTOL", "DEFAULT_TIMEOUT", "CapturedWarning", "CheckResult",
    "ChildOutcome", "Comparison", "ExportResult", "Failure", "Frame", "InputSet", "Leaf",
    "OutputDiff", "VerifyReport", "check_onnx", "compare_arrays", "compare_on",
    "compare_outputs", "eager_outputs", "export_onnx", "failure_from_exception",
    "first_user_frame", "flatten_inputs", "flatten_outputs", "is_user_path", "legacy_leaves", "map_inputs", "named_leaves",
    "perturb_inputs", "run_feeds", "run_in_child", "run_onnxruntime", "to_numpy",
    "verify_module",
]
