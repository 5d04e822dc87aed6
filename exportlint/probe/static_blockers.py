"""The blockers an export never reached: static errors on lines the eager run executed.

An export stops at its first failure (a branch on a tensor element), so a later blocker on the
same path (the `torch.cat` of a list that branch fills) is never seen by the exporter. The static
scan of the files the target executed does see it. `exportlint probe` adds those static error
findings that lie on executed lines, for an exporter that did not export the target cleanly, at a
line no probe finding already covers; each one is judged like `scan --probe` judges (confirmed by
a divergence of the whole forward, or not exercised because the exporter stopped first) and says
which.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from exportlint.config import Config
from exportlint.model import Finding, selected_exporters
from exportlint.probe_model import ProbeReport

_BAD = ("fails", "wrong")


def with_static_blockers(reports: Sequence[ProbeReport], config: Config) -> list[ProbeReport]:
    """Each report with the static errors of its executed files that its exports never reached.

    One static scan covers the files every report executed (the model's sources and files of
    the same packages); reports that could not run, or that every selected exporter cleared,
    are returned unchanged.
    """
    wanted = {i: _model_files(r) for i, r in enumerate(reports) if _needs_static(r)}
    files = sorted({p for paths in wanted.values() for p in paths})
    if not files:
        return list(reports)
    from exportlint.scan import scan_paths

    static = [f for result in scan_paths([Path(p) for p in files], config) for f in result.findings]
    by_file: dict[str, list[Finding]] = {}
    for finding in static:
        by_file.setdefault(os.path.realpath(finding.location.path), []).append(finding)
    return [_completed(r, wanted[i], by_file) if i in wanted else r for i, r in enumerate(reports)]


def _needs_static(report: ProbeReport) -> bool:
    if report.error:
        return False
    return not all(e in report.cleared for e in selected_exporters(report.exporter))


def _model_files(report: ProbeReport) -> list[str]:
    from exportlint.probe.blame import model_files

    return [p for p in model_files(report.sources, report.executed) if os.path.isfile(p)]


def _completed(report: ProbeReport, paths: Sequence[str], by_file: dict[str, list[Finding]]
               ) -> ProbeReport:
    from exportlint.probe.judge import judge

    covered = {(os.path.realpath(f.location.path), f.location.line) for f in report.findings}
    selected = selected_exporters(report.exporter)
    failing = [e for e in selected if e not in report.cleared]
    added = []
    for path in paths:
        candidates = [f for f in by_file.get(os.path.realpath(path), ())
                      if f.severity == "error"
                      and (os.path.realpath(f.location.path), f.location.line) not in covered
                      and any(f.outcomes.of(e) in _BAD for e in failing)]
        for finding in judge(candidates, report):
            if finding.verdict == "confirmed" or (finding.verdict == "not-exercised"
                                                  and _ran(finding, report)):
                added.append(_noted(finding))
    if not added:
        return report
    ordered = sorted((*report.findings, *added),
                     key=lambda f: (f.location.path, f.location.line, f.origin != "probe"))
    return dataclasses.replace(report, findings=tuple(ordered))


def _ran(finding: Finding, report: ProbeReport) -> bool:
    real = os.path.realpath(finding.location.path)
    lines = next((set(v) for p, v in report.executed.items() if os.path.realpath(p) == real), set())
    return finding.location.line in lines


def _noted(finding: Finding) -> Finding:
    if finding.verdict == "confirmed":
        return finding
    return dataclasses.replace(
        finding, message=f"{finding.message} (static: this line ran eagerly, the export stopped "
                         "at an earlier blocker before reaching it)")
