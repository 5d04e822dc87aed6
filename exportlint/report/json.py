"""The stable JSON report (documented in the README under "JSON output")."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from exportlint import __version__
from exportlint.model import FileResult, Finding

SCHEMA_VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    """One finding as the JSON object of the report."""
    data: dict[str, Any] = {
        "rule": f.rule,
        "code": f.code,
        "severity": f.severity,
        "path": f.location.path,
        "line": f.location.line,
        "col": f.location.column,
        "end_line": f.location.end_line,
        "end_col": f.location.end_column,
        "symbol": f.symbol,
        "entry_points": list(f.entry_points),
        "message": f.message,
        "hint": f.hint,
        "origin": f.origin,
        "exporters": {"dynamo": f.outcomes.dynamo, "legacy": f.outcomes.legacy},
    }
    if f.origin == "probe":
        data["exporter"] = f.exporter
        data["evidence"] = f.evidence
    elif f.evidence:  # a static finding a probe judged: what the exporter said
        data["evidence"] = f.evidence
    if f.verdict is not None:
        data["verdict"] = f.verdict
    if f.fix is not None:
        data["fix"] = {"title": f.fix.title, "safety": f.fix.safety, "fixer": f.fix.fixer}
    return data


def summary_dict(results: Sequence[FileResult]) -> dict[str, Any]:
    """Counts by severity and by rule, and how many files were read or failed."""
    findings = [f for r in results for f in r.findings]
    return {
        "files": sum(1 for r in results if r.error is None),
        "unreadable": sum(1 for r in results if r.error is not None),
        "findings": len(findings),
        "by_severity": {s: n for s, n in sorted(Counter(f.severity for f in findings).items())},
        "by_rule": {s: n for s, n in sorted(Counter(f.rule for f in findings).items())},
    }


def render_json(results: Sequence[FileResult]) -> str:
    """The whole report as a JSON document."""
    doc = {
        "version": __version__,
        "schema": SCHEMA_VERSION,
        "findings": [finding_dict(f) for r in results for f in r.findings],
        "errors": [{"path": r.path, "message": r.error} for r in results if r.error is not None],
        "summary": summary_dict(results),
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
