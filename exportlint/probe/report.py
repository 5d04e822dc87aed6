"""The JSON transport of probe reports (`exportlint.probe_model`) between child and parent.

The child process returns `report_to_data(report)`; the parent rebuilds it with
`report_from_data`. Both sides are plain JSON (no torch objects).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from exportlint.model import ExporterChoice, Finding, Fix, Location, Outcomes
from exportlint.probe_model import ChildStatus, GraphBreak, Parity, ProbeReport, Step, SubmoduleRow


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
