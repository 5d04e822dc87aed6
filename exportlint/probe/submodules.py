"""The per-submodule table: export each child on the inputs it really received."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exportlint.model import selected_exporters
from exportlint.probe.blame import Context, forward_frame
from exportlint.probe.eager import Recorded
from exportlint.probe.findings import export_events
from exportlint.probe.options import ProbeOptions
from exportlint.probe.report import ChildState, ChildStatus, SubmoduleRow
from exportlint.verify.flatten import flatten_inputs
from exportlint.verify.parity import verify_module
from exportlint.verify.perturb import perturb_inputs
from exportlint.verify.results import VerifyReport


def probe_children(
    children: Sequence[Recorded], options: ProbeOptions, ctx: Context, folder: Path
) -> tuple[SubmoduleRow, ...]:
    """Export every recorded child with each selected exporter; one row per child.

    Args:
        children: submodules and the inputs of their first call (from the eager pass).
        options: exporters, tolerances and seed.
        ctx: the target's context (sources, executed lines) for blaming lines.
        folder: where the .onnx files go.
    """
    return tuple(_row(child, options, ctx, folder) for child in children)


def _row(child: Recorded, options: ProbeOptions, ctx: Context, folder: Path) -> SubmoduleRow:
    child_ctx = dataclasses.replace(ctx, forward=forward_frame(child.module), program=None,
                                    graph_breaks=(), dict_param=None)
    sets = perturb_inputs(child.module.forward, child.args, child.kwargs, seed=options.seed)
    statuses = []
    for exporter in selected_exporters(options.exporter):
        report = verify_module(child.module, child.args, child.kwargs, exporter=exporter,
                               path=folder / f"{child.name}.{exporter}.onnx", input_sets=sets,
                               rtol=options.rtol, atol=options.atol)
        statuses.append(child_status(report, child_ctx))
    return SubmoduleRow(child.name, type(child.module).__name__, child.depth, child.calls,
                        describe_inputs(child), tuple(statuses))


def child_status(report: VerifyReport, ctx: Context) -> ChildStatus:
    """One exporter's state on one module, with the first blocker's rule and line."""
    events = export_events(report, ctx)
    if not events:
        return ChildStatus(report.exporter, "ok", seconds=report.export.seconds)
    first = events[0]
    state: ChildState = first.outcome
    return ChildStatus(report.exporter, state, first.rule, first.frame.path, first.frame.line,
                       first.evidence, report.export.seconds)


def describe_inputs(child: Recorded) -> str:
    """`Tensor[2,8], list[2], bool` — what the child received, briefly."""
    leaves = flatten_inputs(child.module.forward, child.args, child.kwargs)
    return ", ".join(f"{leaf.name}: {_describe(leaf.value)}" for leaf in leaves)


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):
        return f"{str(value.dtype).removeprefix('torch.')}[{','.join(map(str, shape))}]"
    return type(value).__name__ if value is not None else "None"
