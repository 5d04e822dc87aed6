"""One exporter's outcome on a pattern: fails / wrong / specialized / ok (see model.Outcome)."""

from __future__ import annotations

from collections.abc import Sequence

from exportlint.model import Outcome
from exportlint.verify.results import Comparison, VerifyReport


def outcome_of(report: VerifyReport, other_paths: Sequence[Comparison] = ()) -> Outcome:
    """Classify a verification.

    Args:
        report: export + parity on the examples and perturbed values (`verify_module`).
        other_paths: onnxruntime against eager on inputs or settings that take another path
            through the code (other flag, other config, other batch size, other memory
            layout), each compared with its own eager reference (`compare_on`).

    Returns:
        "fails" when the export raised or onnxruntime cannot run it; "wrong" when it differs
        from eager on other values of the same inputs; "specialized" when it only differs
        on another path; "ok" otherwise.
    """
    if not report.export.ok or (report.check is not None and not report.check.ok):
        return "fails"
    example = next((c for c in report.comparisons if c.case == "example"), None)
    if example is not None and example.failure is not None and not example.eager_failed:
        return "fails"
    if report.diverged:
        return "wrong"
    if any(not c.ok and not c.eager_failed for c in other_paths):
        return "specialized"
    return "ok"
