"""`exportlint scan --probe TARGET`: static findings judged by what the exporters really did."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

from exportlint.config import Config
from exportlint.model import FileResult, Finding
from exportlint.probe.options import ProbeOptions
from exportlint.probe_model import ProbeReport
from exportlint.source import statement_column


def probe_and_judge(
    results: Sequence[FileResult], targets: Sequence[str], config: Config
) -> tuple[list[FileResult], list[ProbeReport]]:
    """Probe each target, give the static findings of its files a verdict, add its findings.

    Args:
        results: the static scan's results.
        targets: probe targets (`file.py:FACTORY` or `package.module:FACTORY`).
        config: the scan's configuration (exporter choice, timeout).

    Returns:
        The results with judged static findings and the probe findings merged into their
        files (probe findings in files the scan did not cover get a result of their own),
        and the probe reports.
    """
    from exportlint.probe.judge import judge
    from exportlint.probe.runner import probe_all
    from exportlint.suppress import unsuppressed

    options = [ProbeOptions(target=t, exporter=config.exporter, timeout=config.timeout) for t in targets]
    reports = [report for report, _ in probe_all(options)]
    merged = list(results)
    for report in reports:
        for i, result in enumerate(merged):
            if report.error or not _probed(result.path, report):
                continue
            judged = tuple(judge(result.findings, report))
            merged[i] = dataclasses.replace(result, findings=judged)
        _add_probe_findings(merged, unsuppressed(report.findings, config))
    return merged, reports


def _probed(path: str, report: ProbeReport) -> bool:
    real = os.path.realpath(path)
    return any(os.path.realpath(p) == real for p in (*report.sources, *report.executed))


def _add_probe_findings(results: list[FileResult], findings: Sequence[Finding]) -> None:
    by_path = {os.path.realpath(r.path): i for i, r in enumerate(results)}
    for finding in findings:
        real = os.path.realpath(finding.location.path)
        i = by_path.get(real)
        if i is None:
            results.append(FileResult(finding.location.path, (finding,)))
            by_path[real] = len(results) - 1
            continue
        result = results[i]
        same_line = [f for f in result.findings if f.location.line == finding.location.line]
        if any(f.rule == finding.rule and f.verdict == "confirmed" for f in same_line):
            continue  # the static finding already says "confirmed by probe" with this evidence
        # NOTE: in the scan's form: the path as the user gave it, the column of the statement.
        column = same_line[0].location.column if same_line else statement_column(result.path, finding.location.line)
        where = dataclasses.replace(finding.location, path=result.path, column=column)
        ordered = sorted((*result.findings, dataclasses.replace(finding, location=where)),
                         key=lambda f: (f.location.line, f.origin != "static"))
        results[i] = dataclasses.replace(result, findings=tuple(ordered))

