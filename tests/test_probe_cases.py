"""Each tests/probe_cases/<name>.py is probed for real; its EXPECTED (rule, line) pairs must be
exactly the blockers reported, at the user's line, and bad targets must fail one line each."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from exportlint.config import Config
from exportlint.probe.options import ProbeOptions
from exportlint.probe.static_blockers import with_static_blockers
from exportlint.probe.runner import probe_all
from exportlint.probe_model import ProbeReport

pytestmark = pytest.mark.ort

CASES_DIR = Path(__file__).parent / "probe_cases"
CASES = sorted(p.stem for p in CASES_DIR.glob("*.py") if "EXPECTED" in p.read_text())
BAD = CASES_DIR / "bad_targets.py"


def _expected(name: str) -> set[tuple[str, int]]:
    tree = ast.parse((CASES_DIR / f"{name}.py").read_text())
    for node in tree.body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        if any(getattr(t, "id", "") == "EXPECTED" for t in targets) and node.value is not None:
            return {tuple(pair) for pair in ast.literal_eval(node.value)}
    raise AssertionError(f"{name} has no EXPECTED")


@pytest.fixture(scope="module")
def reports() -> dict[str, ProbeReport]:
    cases = [ProbeOptions(f"{CASES_DIR / name}.py:make", depth=0, timeout=240) for name in CASES]
    bad = [ProbeOptions(f"{BAD}:{factory}", depth=0, timeout=8)
           for factory in ("raises", "wrong_shape", "hangs", "exits", "segfaults")]
    results = with_static_blockers([r for r, _ in probe_all([*bad[:1], *cases, *bad[1:]], jobs=2)],
                                   Config())
    return {r.target.rpartition(":")[0].rpartition("/")[2].removesuffix(".py") + ":"
            + r.target.rpartition(":")[2]: r for r in results}


@pytest.mark.parametrize("name", CASES)
def test_probe_reports_the_expected_rule_at_the_user_line(
    reports: dict[str, ProbeReport], name: str
) -> None:
    report = reports[f"{name}:make"]
    assert report.error == ""
    blockers = {(f.rule, f.location.line) for f in report.findings
                if f.location.path == str(CASES_DIR / f"{name}.py")}
    assert blockers == _expected(name)
    assert all(f.evidence for f in report.findings)
    # A static finding is only added where no export reached: never beside a probe finding.
    probe_lines = {f.location.line for f in report.findings if f.origin == "probe"}
    assert all(f.location.line not in probe_lines for f in report.findings if f.origin == "static")
    assert all("site-packages" not in f.location.path for f in report.findings)


def test_clean_cases_are_cleared_by_both_exporters(reports: dict[str, ProbeReport]) -> None:
    for name in ("custom_function", "custom_op_contrib", "nonzero_filter", "inplace_input",
                 "shape_assert"):
        assert reports[f"{name}:make"].cleared == ("dynamo", "legacy")


def test_findings_name_the_failing_exporter_and_its_error(
    reports: dict[str, ProbeReport],
) -> None:
    found = {(f.exporter, f.outcomes.dynamo, f.outcomes.legacy, f.evidence.split(":")[0])
             for f in reports["data_dependent_if:make"].findings}
    assert found == {("dynamo", "fails", "wrong", "GuardOnDataDependentSymNode"),
                     ("legacy", "fails", "wrong", "TracerWarning")}
    rope = reports["complex_rope:make"].findings
    assert [(f.exporter, f.evidence.split(":")[0]) for f in rope if f.origin == "probe"] == [
        ("legacy", "UnsupportedOperatorError")]
    # The legacy export stopped at line 12: the view_as_complex of line 13 comes from the scan,
    # not exercised by an export, and says so.
    static = [f for f in rope if f.origin == "static"]
    assert [(f.location.line, f.verdict) for f in static] == [(13, "not-exercised")]
    assert "stopped at an earlier blocker" in static[0].message
    assert "legacy stopped at complex_rope.py:12" in (static[0].evidence or "")


def test_a_custom_op_onnxruntime_lacks_is_blamed_on_each_call_under_legacy_only(
    reports: dict[str, ProbeReport],
) -> None:
    # dynamo traces the Function's forward; the legacy exporter writes what `symbolic` emits.
    for name, op, symbolic in (("custom_op_symbolic", "my_plugins::QuickSwish", "custom_op_symbolic.py:23"),
                               ("custom_op_calls", "acme_plugins::ScaledTanh", "custom_op_plugins.py:24")):
        report = reports[f"{name}:make"]
        assert report.cleared == ("dynamo",)
        found = [f for f in report.findings if f.origin == "probe"]
        assert found and all(
            (f.exporter, f.severity, f.outcomes.dynamo, f.outcomes.legacy) == ("legacy", "error", "ok", "fails")
            for f in found)
        assert all(f"custom-domain op `{op}`" in f.message and f"symbolic` ({symbolic})" in f.message
                   and "dynamo exporter" in f.hint for f in found)


def test_hints_fit_the_line_not_only_the_rule(reports: dict[str, ProbeReport]) -> None:
    # unsupported-op's own hint speaks of complex numbers; a legacy-only limit gets its own.
    cond = [f for f in reports["higher_order_cond:make"].findings if f.origin == "probe"]
    assert [f.hint.split(":")[0] for f in cond] == ["the legacy tracer cannot trace torch.cond"]
    keyword = [f for f in reports["keyword_only:make"].findings if f.origin == "probe"]
    assert keyword and all("keyword-only" in f.hint or "**kwargs" in f.hint for f in keyword)
    number = reports["python_number_output:make"].findings
    assert {f.exporter for f in number} == {"dynamo", "legacy"}
    assert all("returns a Python value beside tensors" in f.message and
               f.hint.startswith("return it as a tensor") for f in number)
    computed = reports["computed_number_output:make"].findings
    assert [(f.exporter, f.rule, f.location.line) for f in computed
            if f.severity == "error" and f.origin == "probe"] == [
        ("legacy", "export-error", 24)]  # dynamo outputs the number as a tensor that matches


def test_reordered_level_shapes_expose_the_baked_tolist(reports: dict[str, ProbeReport]) -> None:
    # Random integers make no valid level shapes (eager rejects them); the same shapes in another
    # order are valid, and the legacy graph, which ignores them, differs there.
    legacy = [f for f in reports["level_shapes:make"].findings if f.exporter == "legacy"]
    assert [(f.location.line, f.severity) for f in legacy] == [(20, "error"), (22, "error")]
    assert all("on 'reordered'" in (f.evidence or "") and "ignores inputs: spatial_shapes" in (f.evidence or "")
               for f in legacy)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        ("raises", "the factory raised RuntimeError: checkpoint not found"),
        ("wrong_shape", ("the factory returned a 4-item tuple; expected (module, args) or "
                        "(module, args, kwargs)")),
        ("hangs", "timed out after 8 s and was stopped (raise --timeout?)"),
        ("exits", "the child process exited with code 7 before reporting"),
        ("segfaults", "the child process crashed (SIGSEGV) before reporting"),
    ],
)
def test_bad_targets_fail_with_one_line_naming_the_target(
    reports: dict[str, ProbeReport], factory: str, message: str
) -> None:
    report = reports[f"bad_targets:{factory}"]
    assert report.error == f"{BAD}:{factory}: {message}"
    assert "\n" not in report.error and not report.steps


def test_timeouts_and_crashes_become_9xx_findings_at_the_factory(
    reports: dict[str, ProbeReport],
) -> None:
    codes = {factory: [(f.code, f.rule, f.location.line) for f in
                       reports[f"bad_targets:{factory}"].findings]
             for factory in ("hangs", "segfaults", "raises")}
    assert codes == {"hangs": [("EXL906", "probe-timeout", 21)],
                     "segfaults": [("EXL907", "probe-crash", 29)], "raises": []}
