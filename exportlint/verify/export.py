"""Export a module to ONNX with one exporter, capturing failures and warnings as data."""

from __future__ import annotations

import contextlib
import io
import os
import time
import traceback
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from exportlint.atomic import atomic_path
from exportlint.model import Exporter
from exportlint.verify.flatten import (
    Leaf,
    copied,
    flatten_inputs,
    legacy_call_args,
    legacy_leaves,
    map_inputs,
    parameter_names,
    tensor_leaves,
)
from exportlint.verify.frames import failure_from_exception, first_user_frame, frames_from_stack
from exportlint.verify.results import CapturedWarning, ExportResult

DynamicAxes = Mapping[str, Mapping[int, str] | Sequence[int]]


def export_onnx(
    module: Any,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any] | None = None,
    *,
    path: str | os.PathLike[str],
    exporter: Exporter = "dynamo",
    dynamic_axes: DynamicAxes | None = None,
    output_names: Sequence[str] | None = None,
    opset: int | None = None,
) -> ExportResult:
    """Export `module(*args, **kwargs)` to `path` with one exporter; never raises for export errors.

    `args` are passed exactly as a user would pass them (a trailing dict is read as keyword
    arguments by `torch.onnx.export`). Graph inputs are named after the forward parameters
    (see `flatten_inputs`); the file is written atomically.

    Args:
        module: the `torch.nn.Module` to export.
        args: positional example inputs.
        kwargs: keyword example inputs.
        path: where the `.onnx` file goes.
        exporter: "dynamo" (`dynamo=True`) or "legacy" (`dynamo=False`).
        dynamic_axes: `{input_name: {axis: symbol}}` or `{input_name: [axis, ...]}`.
        output_names: names for the flattened outputs; exporter defaults when None.
        opset: ONNX opset; the exporter's default when None.

    Returns:
        An `ExportResult` with the kept input names, warnings and the failure if any.
    """
    # NOTE: tracing runs the forward; one that writes to its inputs must not change the examples.
    args, kwargs = copied(tuple(args)), copied(dict(kwargs)) if kwargs else kwargs
    leaves = _graph_leaves(module.forward, tuple(args), kwargs, exporter)
    names = [leaf.name for leaf in leaves]
    start = time.perf_counter()
    log = io.StringIO()
    with _capture_warnings() as captured, contextlib.redirect_stdout(log), \
            contextlib.redirect_stderr(log):
        try:
            _write_atomically(module, tuple(args), kwargs, Path(path), exporter, names,
                              dynamic_axes, output_names, opset)
        except Exception as error:  # noqa: BLE001 - an export failure is data, not a crash
            failure = failure_from_exception(error)
            return ExportResult(exporter, False, failure=failure, warnings=tuple(captured),
                                seconds=time.perf_counter() - start, log=log.getvalue())
    return _describe(Path(path), exporter, leaves, tuple(captured),
                     time.perf_counter() - start, log.getvalue())


def _graph_leaves(
    forward: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any] | None, exporter: Exporter
) -> list[Leaf]:
    if exporter == "legacy":
        return legacy_leaves(forward, args, kwargs)
    return tensor_leaves(flatten_inputs(forward, args, kwargs))


def _write_atomically(
    module: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any] | None, path: Path,
    exporter: Exporter, names: list[str], dynamic_axes: DynamicAxes | None,
    output_names: Sequence[str] | None, opset: int | None,
) -> None:
    import torch

    options: dict[str, Any] = {"dynamo": exporter == "dynamo", "verbose": False}
    # NOTE: dynamo names inputs itself (param_key...); passing names there would silently
    # mislabel inputs if its kwargs order differed, so names are given to legacy only.
    if exporter == "legacy":
        options["input_names"] = names
        # NOTE: spelled out the way the legacy exporter would read them (keywords and
        # defaults in signature order); the trailing {} stops it reading a dict twice.
        args = (*legacy_call_args(module.forward, args, kwargs)[0], {})
    else:
        options.update(kwargs=dict(kwargs or {}), external_data=False)
    if dynamic_axes and exporter == "legacy":
        options["dynamic_axes"] = {k: dict(v) if isinstance(v, Mapping) else list(v)
                                   for k, v in dynamic_axes.items()}
    elif dynamic_axes:
        options["dynamic_shapes"] = dynamic_shapes(module.forward, args, kwargs, dynamic_axes)
    if output_names:
        options["output_names"] = list(output_names)
    if opset is not None:
        options["opset_version"] = opset
    with atomic_path(path) as tmp:
        torch.onnx.export(module, args, tmp, **options)


def dynamic_shapes(
    forward: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any] | None, axes: DynamicAxes
) -> dict[str, Any] | tuple[Any, ...]:
    """`torch.export` dynamic shapes for `{input_name: axes}`; a shared symbol is one `Dim`."""
    import torch

    dims: dict[str, Any] = {}

    def spec(name: str, value: Any) -> Any:
        if name not in axes or not isinstance(value, torch.Tensor):
            return None
        declared = axes[name]
        pairs = declared.items() if isinstance(declared, Mapping) else (
            (a, f"{name}_dim{a}") for a in declared)
        return {int(a): dims.setdefault(str(s), torch.export.Dim(_identifier(str(s))))
                for a, s in pairs}

    shaped_args, shaped_kwargs = map_inputs(forward, args, kwargs, spec)
    if not kwargs:
        return tuple(shaped_args)
    names = parameter_names(forward, len(args))
    return {**dict(zip(names, shaped_args)), **shaped_kwargs}


def _identifier(symbol: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in symbol)
    return cleaned if cleaned[:1].isalpha() else f"d_{cleaned}"


def _describe(
    path: Path, exporter: Exporter, leaves: list[Leaf], captured: tuple[CapturedWarning, ...],
    seconds: float, log: str,
) -> ExportResult:
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    kept = tuple(i.name for i in graph.input)
    dropped = tuple(leaf.name for leaf in leaves if leaf.name not in kept)
    outputs = tuple(o.name for o in graph.output)
    return ExportResult(exporter, True, str(path), kept, outputs, dropped, None, captured,
                        seconds, log)


@contextlib.contextmanager
def _capture_warnings() -> Iterator[list[CapturedWarning]]:
    """Record every warning with the stack at the moment it was raised."""
    captured: list[CapturedWarning] = []

    def record(message: Warning | str, category: type[Warning], filename: str, lineno: int,
               file: Any = None, line: str | None = None) -> None:
        frames = frames_from_stack(traceback.extract_stack()[:-1])
        user = first_user_frame(frames)
        where = user or next((f for f in frames if f.path == filename), None)
        captured.append(CapturedWarning(
            category.__name__, str(message), where.path if where else filename,
            where.line if where else lineno, where.source if where else "", frames,
            filename, lineno))

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = record
        yield captured
