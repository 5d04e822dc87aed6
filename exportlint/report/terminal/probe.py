"""Rich rendering of probe reports: steps, findings and the per-submodule tree."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from exportlint.probe_model import ChildStatus, ProbeReport, SubmoduleRow

_STATE_STYLE = {"ok": "green", "specialized": "yellow", "wrong": "bold red", "fails": "bold red",
                "skipped": "dim", "not-called": "dim"}
_STATE_MARK = {"ok": "✓ ok", "specialized": "~ specialized", "wrong": "✗ wrong",
               "fails": "✗ fails", "skipped": "- skipped"}


def render_reports(reports: Sequence[ProbeReport], console: Any) -> None:
    """Print every target: error line, steps table, findings and submodule tree."""
    from exportlint.report.terminal import render_finding

    for report in reports:
        console.print()
        console.rule(f"[bold]{report.target}[/bold]", align="left")
        if report.error:
            console.print(f"[bold red]error:[/bold red] {report.error}", soft_wrap=True)
        if report.steps:
            console.print(steps_table(report))
        path = None
        for finding in sorted(report.findings, key=lambda f: (f.location.path, f.location.line)):
            if finding.location.path != path:
                path = finding.location.path
                console.print(f"[bold underline]{path}[/bold underline]")
            render_finding(finding, console, verbose=True)
        if report.submodules:
            console.print(submodule_tree(report))


def steps_table(report: ProbeReport) -> Any:
    """What ran, how it went, how long it took and the evidence."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for column in ("step", "status", "time", "evidence"):
        table.add_column(column, overflow="fold")
    for step in report.steps:
        where = f" ({os.path.basename(step.path)}:{step.line})" if step.line else ""
        style = _STATE_STYLE.get(step.status, "")
        table.add_row(step.name, f"[{style}]{step.status}[/{style}]", f"{step.seconds:.1f}s",
                      f"{_short(step.evidence)}{where}")
    return table


def submodule_tree(report: ProbeReport) -> Any:
    """The seed document's "component / ONNX export / main problem" table, as a tree."""
    from rich.tree import Tree

    root = Tree(f"[bold]{report.target}[/bold]  per-submodule export status")
    nodes: dict[str, Any] = {"": root}
    for row in sorted(report.submodules, key=lambda r: r.name):
        parent = nodes.get(row.name.rpartition(".")[0], root)
        nodes[row.name] = parent.add(_row_label(row))
    return root


def _row_label(row: SubmoduleRow) -> str:
    statuses = "  ".join(_status_label(s) for s in row.statuses)
    calls = f" x{row.calls}" if row.calls > 1 else ""
    return f"[bold]{row.name}[/bold] ({row.kind}{calls})  {statuses}"


def _status_label(status: ChildStatus) -> str:
    style = _STATE_STYLE.get(status.state, "")
    text = f"{status.exporter}: [{style}]{_STATE_MARK.get(status.state, status.state)}[/{style}]"
    if status.rule:
        text += f" {status.rule} @ {os.path.basename(status.path)}:{status.line}"
    return text


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
