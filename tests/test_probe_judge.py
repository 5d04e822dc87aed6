"""The judge is a pure function: hand-built static findings and probe reports."""

from __future__ import annotations

from exportlint.model import Finding, Location, Outcomes
from exportlint.probe.judge import judge
from exportlint.probe_model import Parity, ProbeReport, Step

PATH = "/proj/model.py"


def _static(line: int, end_line: int = 0, severity: str = "error") -> Finding:
    return Finding(code="EXL101", rule="dynamic-branch", message="branch on a tensor",
                   location=Location(PATH, line, 4, end_line or line, 10),
                   outcomes=Outcomes("fails", "wrong"), severity=severity)  # type: ignore[arg-type]


def _probe_finding(line: int, exporter: str, outcomes: Outcomes) -> Finding:
    return Finding(code="EXL101", rule="dynamic-branch", message="fails here",
                   location=Location(PATH, line, 0, line, 0), origin="probe",
                   outcomes=outcomes, severity="error", exporter=exporter,  # type: ignore[arg-type]
                   evidence="GuardOnDataDependentSymNode: Could not guard")


def _report(**fields: object) -> ProbeReport:
    base: dict[str, object] = {"target": "model.py:make", "executed": {PATH: (10, 11, 12, 20, 21)}}
    return ProbeReport(**{**base, **fields})  # type: ignore[arg-type]


def test_confirmed_when_a_probe_failure_lies_in_the_span() -> None:
    hit = _probe_finding(11, "dynamo", Outcomes("fails", "ok"))
    [judged] = judge([_static(10, 12)], _report(findings=(hit,)))
    assert judged.verdict == "confirmed" and judged.exporter == "dynamo"
    assert judged.evidence == hit.evidence and judged.severity == "error"
    assert judged.outcomes == Outcomes("fails", "wrong")
    assert "confirmed by probe: dynamo fails here" in judged.message


def test_refuted_error_is_demoted_and_says_so() -> None:
    parity = (Parity("dynamo", "flipped", True, 1e-6, 1e-5), Parity("legacy", "example", True,
                                                                     2e-6, 1e-5))
    report = _report(cleared=("dynamo", "legacy"), parity=parity)
    [judged] = judge([_static(20)], report)
    assert judged.verdict == "refuted" and judged.severity == "warning"
    assert judged.outcomes == Outcomes("specialized", "specialized")
    assert "demoted from error to warning" in judged.message
    assert judged.evidence is not None and "matched eager on 2 input sets" in judged.evidence


def test_not_exercised_when_the_span_never_ran() -> None:
    report = _report(cleared=("dynamo", "legacy"))
    [judged] = judge([_static(30)], report)
    assert judged.verdict == "not-exercised" and judged.severity == "error"
    other_file = Finding(code="EXL101", rule="dynamic-branch", message="m",
                         location=Location("/proj/other.py", 10), severity="error")
    assert judge([other_file], report)[0].verdict == "not-exercised"


def test_not_refuted_when_an_exporter_failed_elsewhere() -> None:
    blocker = _probe_finding(11, "dynamo", Outcomes("fails", "ok"))
    report = _report(findings=(blocker,), cleared=("legacy",))
    [judged] = judge([_static(20)], report)
    assert judged.verdict == "not-exercised" and judged.severity == "error"
    assert judged.evidence == ("model.py:make: dynamo stopped at model.py:11 dynamic-branch "
                               "without reaching a verdict here; legacy exported and matched")
    only_legacy = judge([_static(20)], _report(findings=(blocker,), cleared=("legacy",),
                                               exporter="legacy"))
    assert only_legacy[0].verdict == "refuted"


def test_failed_probe_leaves_findings_alone() -> None:
    finding = _static(10)
    assert judge([finding], _report(error="model.py:make: timed out")) == [finding]


def test_divergence_of_a_whole_trace_confirms_lines_predicted_wrong() -> None:
    steps = (Step("onnx-dynamo", "ok"), Step("onnx-legacy", "wrong"))
    parity = (Parity("legacy", "flipped", False, 2.5, 1.0), Parity("legacy", "example", True, 0, 0))
    report = _report(steps=steps, parity=parity, cleared=("dynamo",))
    [judged] = judge([_static(20)], report)
    assert judged.verdict == "confirmed" and judged.exporter == "legacy"
    assert judged.evidence is not None and "on 'flipped' (max abs err 2.5)" in judged.evidence
    legacy_fine = Finding(code="EXL202", rule="dict-access", message="m",
                          location=Location(PATH, 21), outcomes=Outcomes("fails", "ok"),
                          severity="error")
    assert judge([legacy_fine], report)[0].verdict == "not-exercised"
