"""Graph capture strategies: torch.export (non-strict, strict), dynamo explain, fx trace.

Each strategy returns a `Capture`; a failed capture is data, never an exception.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from exportlint.probe_model import GraphBreak
from exportlint.verify.frames import (
    failure_from_exception,
    first_user_frame,
    frames_from_stack,
    frames_from_text,
)
from exportlint.verify.results import Failure, Frame


@dataclass(frozen=True, slots=True)
class Capture:
    """One strategy's result; `program` is the ExportedProgram/GraphModule when it worked."""

    strategy: str
    ok: bool
    seconds: float
    failure: Failure | None = None
    program: Any = None
    graph_breaks: tuple[GraphBreak, ...] = ()


def _timed(strategy: str, fn: Callable[[], Any]) -> Capture:
    start = time.perf_counter()
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            program = fn()
    except Exception as error:  # noqa: BLE001 - a failed capture is data
        return Capture(strategy, False, time.perf_counter() - start, failure_from_exception(error))
    return Capture(strategy, True, time.perf_counter() - start, program=program)


def export_program(module: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                   strict: bool) -> Capture:
    """`torch.export.export(..., strict=strict)`."""
    import torch

    name = "torch.export(strict)" if strict else "torch.export"
    return _timed(name, lambda: torch.export.export(module, args, dict(kwargs), strict=strict))


def symbolic_trace(module: Any) -> Capture:
    """`torch.fx.symbolic_trace(module)`."""
    import torch

    return _timed("fx.symbolic_trace", lambda: torch.fx.symbolic_trace(module))


def explain(module: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Capture:
    """`torch._dynamo.explain`: graph breaks, each at its innermost user frame."""
    import torch

    def run() -> Any:
        try:
            return torch._dynamo.explain(module)(*args, **dict(kwargs))
        finally:
            torch._dynamo.reset()

    capture = _timed("dynamo.explain", run)
    if not capture.ok:
        return capture
    breaks = tuple(b for b in (_graph_break(r) for r in capture.program.break_reasons) if b)
    return Capture(capture.strategy, True, capture.seconds, graph_breaks=breaks)


def _graph_break(reason: Any) -> GraphBreak | None:
    frame = first_user_frame(frames_from_stack(list(getattr(reason, "user_stack", []) or [])))
    if frame is None:
        return None
    text = str(getattr(reason, "reason", "")).strip().splitlines()
    return GraphBreak(text[0] if text else "graph break", frame.path, frame.line, frame.source)


def op_frame(program: Any, op: str) -> Frame | None:
    """The user frame of the first graph node calling `op`, from its `stack_trace` meta."""
    if program is None:
        return None
    short = op.replace("::", ".").split(".")
    wanted = short[1] if len(short) > 1 else short[0]
    for node in program.graph.nodes:
        target = str(getattr(node, "target", ""))
        if node.op == "call_function" and f".{wanted}." in f".{target}.":
            frame = first_user_frame(frames_from_text(node.meta.get("stack_trace") or ""))
            if frame is not None:
                return frame
    return None
