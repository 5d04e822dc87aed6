"""Export, check and compare on onnxruntime: the whole verification of one module."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from exportlint.errors import VerifyError
from exportlint.model import Exporter
from exportlint.progress import step
from exportlint.verify.compare import DEFAULT_ATOL, DEFAULT_RTOL, compare_outputs
from exportlint.verify.export import DynamicAxes, export_onnx
from exportlint.verify.flatten import copied, flatten_outputs, named_leaves, to_numpy, walk
from exportlint.verify.frames import failure_from_exception
from exportlint.verify.ort import check_onnx, run_onnxruntime
from exportlint.verify.results import Comparison, Failure, InputSet, VerifyReport


def eager_outputs(fn: Callable[..., Any], inputs: InputSet, numbers: bool = False) -> list[Any]:
    """Flattened tensor outputs of `fn(*args, **kwargs)` as numpy arrays, under `no_grad`;
    with `numbers`, Python numbers among them too (in order)."""
    return eager_leaves(fn, inputs)[1 if numbers else 0]


def eager_leaves(fn: Callable[..., Any], inputs: InputSet) -> tuple[list[Any], list[Any]]:
    """One eager run: its tensor outputs, and its tensor and Python-number outputs, as numpy."""
    import torch

    with torch.no_grad():
        result = fn(*inputs.args, **dict(inputs.kwargs))
    tensors = [to_numpy(leaf.value) for leaf in flatten_outputs(result)]
    with_numbers = [to_numpy(leaf.value) for leaf in walk(result, "out") if leaf.is_tensor or (
        isinstance(leaf.value, (int, float)) and not isinstance(leaf.value, bool))]
    return tensors, with_numbers


def compare_on(
    path: str,
    forward: Callable[..., Any],
    inputs: InputSet,
    *,
    reference: Callable[..., Any] | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    finite_only: bool = False,
) -> Comparison:
    """onnxruntime on `inputs` (fed by name) against eager `reference` (default `forward`).

    Each side gets its own copy of the inputs, taken before either runs. With `finite_only`
    (the examples gave finite outputs), an input set on which eager gives NaN or inf is one the
    model does not accept: it is marked `eager_failed`, not compared.
    """
    feed = named_leaves(forward, copied(inputs.args), copied(dict(inputs.kwargs)))
    try:
        expected, with_numbers = eager_leaves(reference or forward, dataclasses.replace(
            inputs, args=copied(inputs.args), kwargs=copied(dict(inputs.kwargs))))
    except Exception as error:  # noqa: BLE001 - eager rejecting an input set is data
        return Comparison(inputs.name, False, failure=failure_from_exception(error),
                          eager_failed=True, description=inputs.description)
    finite = all_finite(expected)
    if finite_only and not finite:
        return Comparison(inputs.name, False, failure=Failure("NonFiniteEagerOutput", _NON_FINITE),
                          eager_failed=True, description=inputs.description, eager_finite=False)
    try:
        actual = run_onnxruntime(path, feed)
    except (Exception, VerifyError) as error:  # noqa: BLE001 - onnxruntime failing is data
        return Comparison(inputs.name, False, failure=failure_from_exception(error),
                          description=inputs.description)
    if len(actual) > len(expected) and len(with_numbers) == len(actual):
        # The dynamo exporter outputs a computed Python number (`float(x.max())`) as a 0-d
        # tensor: compare it with eager's number rather than report a count mismatch.
        expected = with_numbers
    diffs = compare_outputs(expected, actual, rtol=rtol, atol=atol)
    return Comparison(inputs.name, all(d.ok for d in diffs), diffs,
                      description=inputs.description, eager_finite=finite)


_NON_FINITE = ("eager PyTorch gives NaN or inf on this input set but not on the examples: it is "
               "outside the inputs the model accepts")


def all_finite(arrays: Sequence[Any]) -> bool:
    """True when no floating-point array holds NaN or inf."""
    import numpy as np

    return all(np.isfinite(a).all() for a in arrays
               if isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.inexact))


def verify_module(
    module: Any,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any] | None = None,
    *,
    path: str | os.PathLike[str],
    exporter: Exporter = "dynamo",
    input_sets: Iterable[InputSet] = (),
    reference: Callable[..., Any] | None = None,
    dynamic_axes: DynamicAxes | None = None,
    output_names: Sequence[str] | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> VerifyReport:
    """Export `module`, run `onnx.checker`, then compare onnxruntime with eager on every set.

    The examples come first (case "example"), then `input_sets` (see `perturb_inputs`).

    Args:
        module: the module to export (e.g. a wrapper).
        args: example positional inputs.
        kwargs: example keyword inputs.
        path: the `.onnx` file to write.
        exporter: "dynamo" or "legacy".
        input_sets: further input sets, in `module`'s input structure.
        reference: the eager truth, called with each set's inputs; `module` when None
            (pass the user's original model to check a wrapper against it).
        dynamic_axes: `{input_name: {axis: symbol}}` for the export.
        output_names: names for the flattened outputs.
        rtol: relative tolerance.
        atol: absolute tolerance.

    Returns:
        A `VerifyReport`; `.ok` is True only when every step passed.
    """
    step(f"exporting with {exporter}")
    export = export_onnx(module, args, kwargs, path=path, exporter=exporter,
                         dynamic_axes=dynamic_axes, output_names=output_names)
    if not export.ok or export.path is None:
        return VerifyReport(exporter, export)
    step(f"checking the {exporter} export with onnx.checker")
    check = check_onnx(export.path)
    sets = [InputSet("example", tuple(args), dict(kwargs or {}), "the example inputs"), *input_sets]
    comparisons: list[Comparison] = []
    for k, inputs in enumerate(sets, 1):
        step(f"onnxruntime parity case {k} of {len(sets)} ({inputs.name}, {exporter})")
        finite_only = bool(comparisons) and comparisons[0].eager_finite
        comparisons.append(compare_on(export.path, module.forward, inputs, reference=reference or module,
                                      rtol=rtol, atol=atol, finite_only=finite_only))
    return VerifyReport(exporter, export, check, tuple(comparisons))
