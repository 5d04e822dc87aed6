"""Result types of the verify layer: frozen dataclasses holding plain data (no torch objects)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from exportlint.model import Exporter


@dataclass(frozen=True, slots=True)
class Frame:
    """One stack frame: file, 1-based line, function name and the source text of that line."""

    path: str
    line: int
    function: str = ""
    source: str = ""
    # Where on the line the frame was executing (0-based columns, from the traceback; 0: unknown).
    column: int = 0
    end_line: int = 0
    end_column: int = 0


@dataclass(frozen=True, slots=True)
class Failure:
    """An exception turned into data: its class, message and the frames it went through.

    `frames` lists the traceback frames of the exception chain (outermost first) followed by
    the `File "...", line N` frames quoted in the messages (dynamo's "from user code").
    `root_class` / `root_message` describe the innermost cause when the error wraps another.
    """

    error_class: str
    message: str
    frames: tuple[Frame, ...] = ()
    root_class: str = ""
    root_message: str = ""

    @property
    def cause_class(self) -> str:
        """The root cause's class (the exporters wrap the real error, e.g. TorchExportError)."""
        return self.root_class or self.error_class

    @property
    def first_line(self) -> str:
        text = self.root_message if self.root_class else self.message
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        return lines[0] if lines else ""

    @property
    def evidence(self) -> str:
        """`RootErrorClass: first line of its message`, the form findings quote."""
        return f"{self.cause_class}: {self.first_line}" if self.first_line else self.cause_class


@dataclass(frozen=True, slots=True)
class CapturedWarning:
    """A warning raised during export (TracerWarning and friends) with the stack at that moment.

    `path`/`line` is the innermost user frame; `origin_path`/`origin_line` is where the warning
    was raised (a torch file when torch's own code converted a tensor, e.g. inside
    nn.MultiheadAttention).
    """

    category: str
    message: str
    path: str
    line: int
    source: str = ""
    frames: tuple[Frame, ...] = ()
    origin_path: str = ""
    origin_line: int = 0


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The outcome of one `torch.onnx.export` call.

    `input_names` are the ONNX graph inputs actually kept (the legacy exporter drops inputs
    whose only use was a baked branch); `dropped_inputs` are the flattened example inputs
    that did not become graph inputs.
    """

    exporter: Exporter
    ok: bool
    path: str | None = None
    input_names: tuple[str, ...] = ()
    output_names: tuple[str, ...] = ()
    dropped_inputs: tuple[str, ...] = ()
    failure: Failure | None = None
    warnings: tuple[CapturedWarning, ...] = ()
    seconds: float = 0.0
    log: str = ""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of `onnx.checker.check_model` on an exported file."""

    ok: bool
    failure: Failure | None = None


@dataclass(frozen=True, slots=True)
class OutputDiff:
    """How far one flattened output is from eager. `detail` explains shape/dtype mismatches."""

    name: str
    max_abs: float
    max_rel: float
    ok: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class InputSet:
    """One set of example inputs for a module: positional args and keyword args."""

    name: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    """onnxruntime against eager on one input set.

    `failure` is set when eager or onnxruntime raised on that input set; `eager_failed`
    tells which one (an input set the eager model rejects proves nothing about export). Eager
    also rejects a perturbed set on which it gives NaN or inf while it gave finite outputs on
    the examples (a key padding mask inverted to mask every key): `eager_finite` is False.
    """

    case: str
    ok: bool
    diffs: tuple[OutputDiff, ...] = ()
    failure: Failure | None = None
    eager_failed: bool = False
    description: str = ""
    eager_finite: bool = True

    @property
    def max_abs(self) -> float:
        return max((d.max_abs for d in self.diffs), default=0.0)

    @property
    def max_rel(self) -> float:
        return max((d.max_rel for d in self.diffs), default=0.0)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Export, check and parity on every input set, for one exporter."""

    exporter: Exporter
    export: ExportResult
    check: CheckResult | None = None
    comparisons: tuple[Comparison, ...] = ()

    @property
    def ok(self) -> bool:
        checked = self.check is not None and self.check.ok
        compared = all(c.ok or c.eager_failed for c in self.comparisons)
        return self.export.ok and checked and compared

    @property
    def diverged(self) -> tuple[Comparison, ...]:
        """Input sets on which onnxruntime ran but disagreed with eager (or raised)."""
        return tuple(c for c in self.comparisons if not c.ok and not c.eager_failed)
