"""The probe report: what a probe learned about one target, as frozen dataclasses.

Model layer: the probe builds these, renderers (`exportlint.report`) and `scan --probe` read
them; no logic, no torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from exportlint.model import Exporter, ExporterChoice, Finding

StepStatus = Literal["ok", "fails", "wrong", "specialized", "skipped"]
ChildState = Literal["ok", "specialized", "wrong", "fails", "not-called", "skipped"]


@dataclass(frozen=True, slots=True)
class Step:
    """One thing the probe ran (eager, torch.export, explain, fx, onnx-dynamo, onnx-legacy)."""

    name: str
    status: StepStatus
    seconds: float = 0.0
    evidence: str = ""
    path: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class GraphBreak:
    """A `torch._dynamo.explain` graph break at a user line."""

    reason: str
    path: str
    line: int
    source: str = ""


@dataclass(frozen=True, slots=True)
class Parity:
    """onnxruntime vs eager on one input set, for one exporter."""

    exporter: Exporter
    case: str
    ok: bool
    max_abs: float
    max_rel: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ChildStatus:
    """How one exporter did on one submodule, and its first blocker."""

    exporter: Exporter
    state: ChildState
    rule: str = ""
    path: str = ""
    line: int = 0
    evidence: str = ""
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class SubmoduleRow:
    """One row of the per-submodule table."""

    name: str
    kind: str
    depth: int
    calls: int
    inputs: str
    statuses: tuple[ChildStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class ProbeReport:
    """Everything the probe learned about one target. `error` set means it could not run."""

    target: str
    exporter: ExporterChoice = "both"
    error: str = ""
    sources: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    findings: tuple[Finding, ...] = ()
    graph_breaks: tuple[GraphBreak, ...] = ()
    parity: tuple[Parity, ...] = ()
    cleared: tuple[Exporter, ...] = ()
    submodules: tuple[SubmoduleRow, ...] = ()
    executed: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    seconds: float = 0.0
