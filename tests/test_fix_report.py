"""The typed fix report and its JSON: the keys users read, in their order, and the read-back."""

from __future__ import annotations

import dataclasses
import json

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
from exportlint.report.fix_json import fix_report_data, read_fix_report, render_fix_json

FINDING = Finding("EXL101", "dynamic-branch", "branch on a flag", Location("m.py", 7, 8),
                  severity="warning", symbol="M.forward",
                  fix=Fix("Freeze flags", "unsafe", "DynamicBranchFixer"))
PLANNED = FixReport(
    target="m.py:make", name="m", fixers=("dynamic-branch",),
    notes=(Note("dynamic-branch", "`self.flag` is True", 7),),
    manual=(Manual("dynamic-branch", 9, "M.forward", "no rewrite"),),
    findings=(FINDING,), wrapper_path="/out/m_export.py", source="class MExport: ...\n",
)
CASE = CaseResult("example", "the example inputs", True, False,
                  outputs=(OutputDiff("out", 1e-7, 2e-6, True),))
VERIFIED = dataclasses.replace(PLANNED, report_path="/out/m_report.json", verification=Verification(
    ok=False, rtol=1e-3, atol=1e-4, output_names=("out",),
    exporters=(ExporterVerdict("dynamo", "/out/m.onnx", True, seconds=1.5, check_ok=True,
                               cases=(CASE,)),),
    coverage=(BranchCoverage(12, "x.sum() > 0", "M.forward", ("example",), ()),),
))


def test_a_verified_report_lists_its_keys_in_the_documented_order() -> None:
    data = json.loads(render_fix_json(VERIFIED))
    assert list(data) == ["target", "name", "fixers", "notes", "manual", "findings", "wrapper_path",
                          "ok", "exporters", "coverage", "tolerance", "output_names", "checked", "verified",
                          "report_path"]
    assert data["findings"][0] == {
        "rule": "dynamic-branch", "code": "EXL101", "severity": "warning", "path": "m.py",
        "line": 7, "col": 8, "symbol": "M.forward", "message": "branch on a flag",
        "fix": {"title": "Freeze flags", "safety": "unsafe", "fixer": "DynamicBranchFixer"},
    }
    exporter = data["exporters"][0]
    assert list(exporter)[-2:] == ["cases", "ok"] and exporter["ok"] is True
    assert data["coverage"] == [{"line": 12, "test": "x.sum() > 0", "symbol": "M.forward",
                                 "true": ["example"], "false": [], "both": False}]
    assert data["tolerance"] == {"rtol": 1e-3, "atol": 1e-4} and data["ok"] is False
    # Checked, and failed: never "verified" (what scripts read besides the exit code).
    assert data["checked"] is True and data["verified"] is False
    assert VERIFIED.verification is not None
    passed = dataclasses.replace(VERIFIED, manual=(),
                                 verification=dataclasses.replace(VERIFIED.verification, ok=True))
    assert json.loads(render_fix_json(passed))["verified"] is True
    # Every check passed but manual work is left: not verified either (exit 1).
    assert json.loads(render_fix_json(dataclasses.replace(passed, manual=VERIFIED.manual)))["verified"] is False


def test_a_diff_report_is_not_verified_and_keeps_the_source_only_when_asked() -> None:
    public = fix_report_data(PLANNED)
    assert public["ok"] is None and public["checked"] is False and public["verified"] is False
    assert "source" not in public and "exporters" not in public and "report_path" not in public
    assert fix_report_data(PLANNED, with_source=True)["source"] == PLANNED.source


def test_reading_back_gives_the_same_report() -> None:
    for report in (PLANNED, VERIFIED):
        wire = json.loads(json.dumps(fix_report_data(report, with_source=True)))
        assert read_fix_report(wire) == report


def test_an_exporter_without_cases_or_with_a_failing_case_is_not_ok() -> None:
    verdict = VERIFIED.verification.exporters[0]  # type: ignore[union-attr]
    assert verdict.ok
    assert not dataclasses.replace(verdict, cases=()).ok
    failing = dataclasses.replace(CASE, ok=False)
    assert not dataclasses.replace(verdict, cases=(failing,)).ok
    assert dataclasses.replace(verdict, cases=(dataclasses.replace(failing, eager_failed=True),)).ok
