"""Map a failure to the first line in the user's code, and to a rule."""

from __future__ import annotations

import ast
import inspect
import os
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from exportlint.model import ExporterChoice
from exportlint.probe.capture import op_frame
from exportlint.probe.eager import EagerPath
from exportlint.probe.classify import COMPLEX_TOKENS, error_kind, failed_op, mentions_op, rule_for
from exportlint.probe_model import GraphBreak
from exportlint.verify.frames import first_user_frame, make_frame
from exportlint.verify.results import Failure, Frame


@dataclass(frozen=True, slots=True)
class Context:
    """What the probe knows about the target when it blames a line."""

    sources: tuple[str, ...]
    forward: Frame
    executed: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    program: Any = None
    graph_breaks: tuple[GraphBreak, ...] = ()
    dict_param: Frame | None = None
    choice: ExporterChoice = "both"
    # eager paths of the example ("example") and of input sets an export diverged on
    paths: Mapping[str, EagerPath] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Blame:
    """The rule and user line a failure maps to (`located` False: fell back to `forward`)."""

    rule: str
    frame: Frame
    located: bool = True


def forward_frame(module: Any) -> Frame:
    """The `def forward` line of a module (its class line when the source is unavailable)."""
    forward = type(module).forward
    try:
        path = inspect.getsourcefile(forward) or ""
        _, line = inspect.getsourcelines(forward)
    except (OSError, TypeError):
        return Frame(type(module).__module__, 0, "forward")
    return make_frame(path, line, "forward")


def param_frame(module: Any, index: int) -> Frame | None:
    """The signature line of the forward parameter receiving positional argument `index`."""
    forward = type(module).forward
    try:
        path = inspect.getsourcefile(forward) or ""
        lines, first = inspect.getsourcelines(forward)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return None
    function = tree.body[0]
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    params = [*function.args.posonlyargs, *function.args.args][1:]
    if index >= len(params):
        return make_frame(path, first, "forward")
    return make_frame(path, first + params[index].lineno - 1, "forward")


def blame_failure(failure: Failure, ctx: Context) -> Blame:
    """The rule and user line for an exporter (or eager) failure."""
    kind = error_kind(failure)
    frame = first_user_frame(failure.frames, prefer=ctx.sources)
    if kind == "op":
        frame = _op_line(failure, ctx) or frame
    if kind == "signature" and ctx.dict_param is not None:
        return Blame("list-tensor-input", ctx.dict_param)
    if frame is None and kind in ("guard", "int", "constraint") and ctx.graph_breaks:
        first = ctx.graph_breaks[0]
        frame = make_frame(first.path, first.line)
    if frame is None:
        # A call that fails before forward runs (`takes 2 positional arguments`) is about its
        # signature: the `def forward` line is what the rule reads.
        source = ctx.forward.source if kind == "signature" else ""
        return Blame(rule_for(kind, source) or "export-error", ctx.forward, located=False)
    return Blame(rule_for(kind, frame.source) or "export-error", frame)


def _op_line(failure: Failure, ctx: Context) -> Frame | None:
    """The executed user line calling the failing op; else the graph node's stack trace.

    Text first: node stack traces only reach the module's own `forward`, not the helper
    function that makes the call.
    """
    op = failed_op(failure)
    for path, line in _executed_lines(ctx):
        source = make_frame(path, line).source
        if (op and mentions_op(source, op)) or (not op and COMPLEX_TOKENS.search(source)):
            return make_frame(path, line)
    return op_frame(ctx.program, op) if op else None


def _executed_lines(ctx: Context) -> list[tuple[str, int]]:
    """Executed lines of the model's files (`model_files`); of other user files only when there
    are none (a dependency imported during the export, like mpmath's `polar = mp.polar`, is not
    the model)."""
    chosen = model_files(ctx.sources, ctx.executed) or list(ctx.executed)
    return [(p, line) for p in chosen for line in ctx.executed[p]]


def model_files(sources: Sequence[str], executed: Mapping[str, object]) -> list[str]:
    """The executed files that are the model's: its sources first, then other files of the same
    top-level packages (SAM3's `sam3/sam/rope.py` helpers, called from a class in `sam3/model/`)."""
    roots = {package_root(p) for p in sources}
    preferred = [p for p in executed if p in sources]
    return preferred + [p for p in executed if p not in sources and package_root(p) in roots]


def package_root(path: str) -> str:
    """The folder of the top-level package holding `path` (its own folder outside a package)."""
    folder = os.path.dirname(os.path.realpath(path))
    root = folder
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        root = folder
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return root
