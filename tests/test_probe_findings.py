"""Probe findings from hand-built verify reports: what a baked value's message claims."""

from __future__ import annotations

from exportlint.probe.blame import Context
from exportlint.probe.findings import build_findings, export_events
from exportlint.verify.results import CapturedWarning, Comparison, ExportResult, Frame, VerifyReport

PATH = "/proj/levels.py"
WARNING = CapturedWarning("TracerWarning", "Converting a tensor to a Python list might cause the trace to be "
                          "incorrect. We can't record the data flow of Python values.", PATH, 7,
                          "sizes = [h * w for h, w in shapes.tolist()]", (Frame(PATH, 7, "forward", "sizes = ..."),),
                          origin_path=PATH, origin_line=7)


def _message(*cases: Comparison) -> tuple[str, str]:
    report = VerifyReport("legacy", ExportResult("legacy", True, warnings=(WARNING,)),
                          comparisons=(Comparison("example", True), *cases))
    ctx = Context(sources=(PATH,), forward=Frame(PATH, 5, "forward"))
    [finding] = build_findings(export_events(report, ctx), ctx)
    return finding.severity, finding.message


def test_a_baked_value_checked_on_other_inputs_says_they_matched() -> None:
    severity, message = _message(Comparison("values-1", True), Comparison("reordered", True, eager_failed=True))
    assert "the perturbed inputs still matched" in message and severity == "warning"


def test_a_baked_value_no_perturbed_set_could_check_says_so() -> None:
    # eager rejected every perturbed set: nothing matched, and the message must not claim it did
    severity, message = _message(Comparison("values-1", True, eager_failed=True),
                                 Comparison("reordered", True, eager_failed=True))
    assert "eager rejects every perturbed input set, so none could check it" in message
    assert "still matched" not in message and severity == "warning"


def test_a_divergence_on_a_perturbed_set_is_an_error_naming_it() -> None:
    severity, message = _message(Comparison("reordered", False))
    assert severity == "error" and "onnxruntime differs from eager" in message
