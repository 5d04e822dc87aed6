"""What a probe learned about one target: frozen dataclasses, and their JSON transport.

The child process returns `report_to_data(report)`; the parent rebuilds it with
`report_from_data`. Both sides are plain JSON (no torch objects).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from exportlint.model import Exporter, ExporterChoice, Finding, Fix, Location, Outcomes

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


def finding_to_data(f: Finding) -> dict[str, Any]:
    """A finding as plain JSON data (transport form, lossless)."""
    return asdict(f)


def finding_from_data(data: Mapping[str, Any]) -> Finding:
    """The inverse of `finding_to_data`."""
    fields = dict(data)
    fields["location"] = Location(**fields["location"])
    fields["outcomes"] = Outcomes(**fields["outcomes"])
    fields["fix"] = Fix(**fields["fix"]) if fields.get("fix") else None
    return Finding(**fields)


def report_to_data(report: ProbeReport) -> dict[str, Any]:
    """A probe report as plain JSON data."""
    data = asdict(report)
    data["findings"] = [finding_to_data(f) for f in report.findings]
    data["executed"] = {path: list(lines) for path, lines in report.executed.items()}
    return data


def report_from_data(data: Mapping[str, Any]) -> ProbeReport:
    """The inverse of `report_to_data`."""
    rows = tuple(
        SubmoduleRow(**{**row, "statuses": tuple(ChildStatus(**s) for s in row["statuses"])})
        for row in data.get("submodules", ())
    )
    return ProbeReport(
        target=data["target"],
        exporter=data.get("exporter", "both"),
        error=data.get("error", ""),
        sources=tuple(data.get("sources", ())),
        steps=tuple(Step(**s) for s in data.get("steps", ())),
        findings=tuple(finding_from_data(f) for f in data.get("findings", ())),
        graph_breaks=tuple(GraphBreak(**g) for g in data.get("graph_breaks", ())),
        parity=tuple(Parity(**p) for p in data.get("parity", ())),
        cleared=tuple(data.get("cleared", ())),
        submodules=rows,
        executed={p: tuple(lines) for p, lines in data.get("executed", {}).items()},
        seconds=float(data.get("seconds", 0.0)),
    )


def failed_report(target: str, error: str, exporter: ExporterChoice = "both") -> ProbeReport:
    """The report of a target that could not be probed (bad factory, timeout, crash)."""
    return ProbeReport(target=target, exporter=exporter, error=error)
