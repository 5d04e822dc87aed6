"""The rich view of a fix report: one line saying why a fix failed, whole paths at any width."""

from __future__ import annotations

import pytest

from exportlint.fix_model import CaseResult, ExporterVerdict, FixReport, Manual, OutputDiff, Verification
from exportlint.report.terminal.fix import failure_reason, render_fix_report

LONG = "/tmp/" + "a_rather_long_output_directory_name/" * 3 + "model.onnx"


def _report(*verdicts: ExporterVerdict, manual: tuple[Manual, ...] = ()) -> FixReport:
    ok = all(v.ok for v in verdicts) and not manual
    return FixReport("m.py:make", "m", ("dynamic-branch",), (), manual, (), "/tmp/m_export.py", "",
                     Verification(ok, verdicts, (), 1e-3, 1e-4, ("out",)))


def _case(name: str, ok: bool) -> CaseResult:
    return CaseResult(name, "", ok, False, outputs=(OutputDiff("out", 0.0 if ok else 2.0, 0.0, ok, ""),))


def test_the_failed_line_says_why() -> None:
    failed = ExporterVerdict("dynamo", LONG, False, export_error="GuardOnDataDependentSymNode: ...")
    assert failure_reason(_report(failed)) == "the dynamo export failed"
    wrong = ExporterVerdict("legacy", LONG, True, check_ok=True, cases=(_case("example", True), _case("flipped", False)))
    assert failure_reason(_report(wrong)) == "onnxruntime differs from eager (legacy) on flipped"
    manual = (Manual("data-dependent-index", 8, "M.forward", "no static-shape equivalent"),) * 2
    assert failure_reason(_report(wrong, manual=manual)) == \
        "manual work left at line 8 (data-dependent-index) (and 1 more)"
    elsewhere = (Manual("dict-access", 649, "Tracker.read", "reads a runtime dict", "sam3/model/base.py"),)
    assert failure_reason(_report(wrong, manual=elsewhere)) == \
        "manual work left at sam3/model/base.py:649 (dict-access)"


@pytest.mark.parametrize("width", [80, 120])
def test_paths_are_whole_and_a_failed_export_prints_no_table(width: int, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    failed = ExporterVerdict("dynamo", LONG, False, export_error="GuardOnDataDependentSymNode: ...")
    render_fix_report(_report(failed))
    out = capsys.readouterr().out
    assert LONG in out.replace("\n", "")  # soft-wrapped by the terminal, never cut
    assert f"dynamo: {LONG}" in out
    assert "┃ case" not in out  # no graph, no parity table
    assert "FAILED: the dynamo export failed; files left for inspection" in out


def test_files_left_for_inspection_are_only_files_that_exist(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    written = tmp_path / "m.legacy.onnx"
    written.write_bytes(b"graph")
    missing = tmp_path / "m.onnx"  # the dynamo export failed before writing it
    failed = ExporterVerdict("dynamo", str(missing), False, export_error="TypeError: keywords must be strings")
    wrong = ExporterVerdict("legacy", str(written), True, check_ok=True, cases=(_case("flipped", False),))
    render_fix_report(_report(failed, wrong))
    footer = capsys.readouterr().out.split("files left for inspection", 1)[1]
    listed = [line.strip() for line in footer.splitlines() if line.strip()]
    assert listed == ["/tmp/m_export.py", str(written)]


def test_a_pass_says_which_rewritten_test_took_one_outcome_only(capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from exportlint.fix_model import BranchCoverage

    monkeypatch.setenv("COLUMNS", "200")
    good = ExporterVerdict("dynamo", LONG, True, check_ok=True, cases=(_case("example", True),))
    sites = (BranchCoverage(20, "total.min() > 0.99", "Ponder.forward", (), ("example", "flipped")),
             BranchCoverage(9, "x.sum() > 0", "Ponder.forward", ("example",), ("flipped",)))
    report = FixReport("m.py:make", "m", ("dynamic-branch",), (), (), (), "/tmp/m_export.py", "",
                       Verification(True, (good,), sites, 1e-3, 1e-4, ("out",)))
    render_fix_report(report)
    out = capsys.readouterr().out
    assert "PASSED" in out
    assert "unverified: line 20 `total.min() > 0.99` was true on no case tried" in out
    assert "unverified: line 9" not in out  # both outcomes were checked there
