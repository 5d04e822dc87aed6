"""The fix report as JSON: `<name>_report.json`, `fix --format json`, and the child's answer.

`fix_report_data` is the one place the report's keys and their order are written;
`read_fix_report` reads back what it wrote (the child process sends its report that way).
"""

from __future__ import annotations

import json
from typing import Any

from exportlint.fix_model import (
    BranchCoverage,
    CaseResult,
    ExporterVerdict,
    FixReport,
    Manual,
    Note,
    OutputDiff,
    Verification,
)
from exportlint.model import Finding, Fix, Location


def render_fix_json(report: FixReport) -> str:
    """The public report (without the wrapper's source), indented, without a final newline."""
    return json.dumps(fix_report_data(report), indent=2)


def fix_report_data(report: FixReport, with_source: bool = False) -> dict[str, Any]:
    """The report as JSON-ready data; `with_source` adds the wrapper's source after its path."""
    data: dict[str, Any] = {
        "target": report.target, "name": report.name, "fixers": list(report.fixers),
        "notes": [{"rule": n.rule, "text": n.text, "line": n.line, "path": n.path}
                  for n in report.notes],
        "manual": [{"rule": m.rule, "line": m.line, "symbol": m.symbol, "reason": m.reason,
                    "path": m.path}
                   for m in report.manual],
        "findings": [_finding(f) for f in report.findings],
        "wrapper_path": report.wrapper_path,
    }
    if with_source:
        data["source"] = report.source
    # `checked`: the wrapper was exported and compared (not with --diff); `verified`: and every
    # check passed, which is what the exit code says (a report that failed is never "verified").
    if report.verification is None:
        data |= {"ok": None, "checked": False, "verified": False}
    else:
        checked = _verification(report.verification)
        data |= checked | {"checked": True, "verified": checked["ok"] is True and not report.manual}
    if report.report_path:
        data["report_path"] = report.report_path
    return data


def _finding(finding: Finding) -> dict[str, Any]:
    fix = finding.fix
    return {
        "rule": finding.rule, "code": finding.code, "severity": finding.severity,
        "path": finding.location.path, "line": finding.location.line,
        "col": finding.location.column, "symbol": finding.symbol, "message": finding.message,
        "fix": {"title": fix.title, "safety": fix.safety, "fixer": fix.fixer} if fix else None,
    }


def _verification(verification: Verification) -> dict[str, Any]:
    return {
        "ok": verification.ok,
        "exporters": [_exporter(v) for v in verification.exporters],
        "coverage": [_coverage(c) for c in verification.coverage],
        "tolerance": {"rtol": verification.rtol, "atol": verification.atol},
        "output_names": list(verification.output_names),
    }


def _exporter(verdict: ExporterVerdict) -> dict[str, Any]:
    return {
        "exporter": verdict.exporter, "onnx_path": verdict.onnx_path,
        "export_ok": verdict.export_ok, "export_error": verdict.export_error,
        "seconds": verdict.seconds, "dropped_inputs": list(verdict.dropped_inputs),
        "check_ok": verdict.check_ok, "check_error": verdict.check_error,
        "cases": [_case(c) for c in verdict.cases], "ok": verdict.ok,
    }


def _case(case: CaseResult) -> dict[str, Any]:
    return {
        "case": case.case, "description": case.description, "ok": case.ok,
        "eager_failed": case.eager_failed, "error": case.error,
        "outputs": [{"name": o.name, "max_abs": o.max_abs, "max_rel": o.max_rel, "ok": o.ok,
                     "detail": o.detail} for o in case.outputs],
    }


def _coverage(site: BranchCoverage) -> dict[str, Any]:
    data = {"line": site.line, "test": site.test, "symbol": site.symbol,
            "true": list(site.when_true), "false": list(site.when_false), "both": site.both}
    if site.iterations:
        data["iterations"] = {case: count for case, count in site.iterations}
    return data


def read_fix_report(data: dict[str, Any]) -> FixReport:
    """The `FixReport` that `fix_report_data` turned into `data`.

    Raises:
        KeyError, TypeError: `data` is not a fix report.
    """
    verification = _read_verification(data) if data.get("checked") else None
    return FixReport(
        target=data["target"], name=data["name"], fixers=tuple(data["fixers"]),
        notes=tuple(Note(**n) for n in data["notes"]),
        manual=tuple(Manual(**m) for m in data["manual"]),
        findings=tuple(_read_finding(f) for f in data["findings"]),
        wrapper_path=data["wrapper_path"], source=data.get("source", ""),
        verification=verification, report_path=data.get("report_path", ""),
    )


def _read_finding(data: dict[str, Any]) -> Finding:
    fix = data["fix"]
    return Finding(
        code=data["code"], rule=data["rule"], message=data["message"],
        location=Location(data["path"], data["line"], data["col"]), severity=data["severity"],
        symbol=data["symbol"], fix=Fix(fix["title"], fix["safety"], fix["fixer"]) if fix else None,
    )


def _read_verification(data: dict[str, Any]) -> Verification:
    exporters = tuple(
        ExporterVerdict(
            v["exporter"], v["onnx_path"], v["export_ok"], v["export_error"], v["seconds"],
            tuple(v["dropped_inputs"]), v["check_ok"], v["check_error"],
            tuple(CaseResult(c["case"], c["description"], c["ok"], c["eager_failed"], c["error"],
                             tuple(OutputDiff(**o) for o in c["outputs"])) for c in v["cases"]),
        )
        for v in data["exporters"]
    )
    coverage = tuple(BranchCoverage(c["line"], c["test"], c["symbol"], tuple(c["true"]),
                                    tuple(c["false"]), tuple(c.get("iterations", {}).items()))
                     for c in data["coverage"])
    tolerance = data["tolerance"]
    return Verification(data["ok"], exporters, coverage, tolerance["rtol"], tolerance["atol"],
                        tuple(data["output_names"]))
