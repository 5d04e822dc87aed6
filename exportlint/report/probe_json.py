"""The probe JSON document (documented in the README under "probe JSON")."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from exportlint import __version__
from exportlint.model import Finding
from exportlint.probe_model import ProbeReport
from exportlint.report.json import finding_dict

PROBE_SCHEMA_VERSION = 1


def target_dict(report: ProbeReport) -> dict[str, Any]:
    """One target's steps, parity numbers, graph breaks and submodule table."""
    return {
        "target": report.target,
        "error": report.error or None,
        "seconds": round(report.seconds, 3),
        "cleared": list(report.cleared),
        "steps": [asdict(s) for s in report.steps],
        "parity": [_finite(asdict(p)) for p in report.parity],
        "graph_breaks": [asdict(g) for g in report.graph_breaks],
        "submodules": [asdict(r) for r in report.submodules],
    }


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    """Errors that are not numbers (a shape mismatch) become null: JSON has no Infinity."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in row.items()}


def probe_document(reports: Sequence[ProbeReport],
                   judged: Sequence[Finding] = ()) -> dict[str, Any]:
    """The whole probe report: targets, probe findings (+ judged static findings), errors."""
    findings = [{**finding_dict(f), "target": r.target} for r in reports for f in r.findings]
    findings += [finding_dict(f) for f in judged]
    return {
        "version": __version__,
        "schema": PROBE_SCHEMA_VERSION,
        "exporter": reports[0].exporter if reports else "both",
        "targets": [target_dict(r) for r in reports],
        "findings": findings,
        "errors": [{"target": r.target, "message": r.error} for r in reports if r.error],
        "summary": {
            "targets": len(reports),
            "failed_targets": sum(1 for r in reports if r.error),
            "findings": len(findings),
            "by_severity": dict(sorted(Counter(f["severity"] for f in findings).items())),
            "by_verdict": dict(sorted(Counter(f["verdict"] for f in findings
                                              if f.get("verdict")).items())),
        },
    }


def render_probe_json(reports: Sequence[ProbeReport], judged: Sequence[Finding] = ()) -> str:
    """`probe_document` as indented JSON text."""
    return json.dumps(probe_document(reports, judged), indent=2, allow_nan=False) + "\n"
