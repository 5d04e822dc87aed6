"""The per-submodule table: export each child on the inputs it really received."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from exportlint.model import selected_exporters
from exportlint.probe.blame import Context, forward_frame
from exportlint.probe.eager import Recorded
from exportlint.probe.findings import export_events
from exportlint.probe.options import ProbeOptions
from exportlint.probe_model import ChildState, ChildStatus, SubmoduleRow
from exportlint.progress import step_scope
from exportlint.verify.flatten import flatten_inputs
from exportlint.verify.frames import is_user_path
from exportlint.verify.parity import verify_module
from exportlint.verify.perturb import perturb_inputs
from exportlint.verify.results import Frame, VerifyReport


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
    rows = []
    for k, child in enumerate(children, 1):
        with step_scope(f"submodule {child.name} ({k} of {len(children)})"):
            rows.append(_row(child, options, ctx, folder))
    return tuple(rows)


def _row(child: Recorded, options: ProbeOptions, ctx: Context, folder: Path) -> SubmoduleRow:
    forward = forward_frame(child.module)
    child_ctx = dataclasses.replace(
        ctx, forward=forward if is_user_path(forward.path) else Frame("", 0),
        program=None, graph_breaks=(), dict_param=None)
    module, args = bind_settings(child.module, child.args, child.kwargs)
    sets = perturb_inputs(module.forward, args, seed=options.seed)
    statuses = []
    for exporter in selected_exporters(options.exporter):
        report = verify_module(module, args, exporter=exporter,
                               path=folder / f"{child.name}.{exporter}.onnx", input_sets=sets,
                               rtol=options.rtol, atol=options.atol)
        statuses.append(child_status(report, child_ctx))
    return SubmoduleRow(child.name, type(child.module).__name__, child.depth, child.calls,
                        describe_inputs(child), tuple(statuses))


def bind_settings(
    module: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Any, tuple[Any, ...]]:
    """A child called with keywords, made callable with positional tensors only.

    Keyword settings that hold no tensor (`need_weights=False`) become constants and keyword
    tensors are passed positionally after `args`: exported alone, a child would otherwise get
    Python bools as graph inputs (the legacy exporter turns them into tensors), and the legacy
    exporter cannot pass keyword arguments; neither is how the parent calls it.
    """
    if not kwargs:
        return module, tuple(args)
    fixed = {k: v for k, v in kwargs.items() if not _holds_tensor(v)}
    names = tuple(k for k in kwargs if k not in fixed)
    bound = _bound_class()(module, len(args), names, fixed).train(module.training)
    return bound, (*args, *(kwargs[k] for k in names))


def _holds_tensor(value: Any) -> bool:
    from exportlint.verify.flatten import walk

    return any(leaf.is_tensor for leaf in walk(value, "v"))


@functools.lru_cache(maxsize=1)
def _bound_class() -> type:
    import torch

    class Bound(torch.nn.Module):
        """Calls `inner(*args[:count], **named tensors, **fixed settings)`."""

        def __init__(self, inner: Any, count: int, names: tuple[str, ...],
                     fixed: dict[str, Any]) -> None:
            super().__init__()
            self.inner, self.count, self.names, self.fixed = inner, count, names, fixed

        def forward(self, *args: Any) -> Any:
            named = dict(zip(self.names, args[self.count:]))
            return self.inner(*args[: self.count], **named, **self.fixed)

    return Bound


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
