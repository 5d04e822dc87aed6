"""The fix report's data model: frozen dataclasses, no logic beyond derivation (beside model.py).

`exportlint fix` builds a `FixReport` in its child process; `report/fix_json.py` turns it into
the JSON the parent reads back and the `<name>_report.json` file, `report/terminal/fix.py`
prints it. The findings it lists are `model.Finding`s carrying the `Fix` that addressed them.
"""

from __future__ import annotations

from dataclasses import dataclass

from exportlint.model import Finding


@dataclass(frozen=True)
class Note:
    """A line of the wrapper's docstring and of the report: what was frozen or rewritten."""

    rule: str
    text: str
    line: int = 0
    path: str = ""  # the file, when it is not the one the fixers rewrite first


@dataclass(frozen=True)
class Manual:
    """A site no fixer could rewrite faithfully: manual work is needed, for `reason`."""

    rule: str
    line: int
    symbol: str
    reason: str
    path: str = ""  # the file, when it is not the one the fixers rewrite


@dataclass(frozen=True)
class OutputDiff:
    """One output of one case: onnxruntime against the eager original."""

    name: str
    max_abs: float
    max_rel: float
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class CaseResult:
    """One verification input set on one exported file."""

    case: str
    description: str
    ok: bool
    eager_failed: bool
    error: str = ""
    outputs: tuple[OutputDiff, ...] = ()


@dataclass(frozen=True)
class ExporterVerdict:
    """One exporter's export, checker and comparisons."""

    exporter: str
    onnx_path: str
    export_ok: bool
    export_error: str = ""
    seconds: float = 0.0
    dropped_inputs: tuple[str, ...] = ()
    check_ok: bool = False
    check_error: str = ""
    cases: tuple[CaseResult, ...] = ()

    @property
    def ok(self) -> bool:
        """Exported, checked, and every case matched (or eager itself rejected it)."""
        compared = all(c.ok or c.eager_failed for c in self.cases)
        return self.export_ok and self.check_ok and compared and bool(self.cases)


@dataclass(frozen=True)
class BranchCoverage:
    """A rewritten data-dependent test: the cases that took each outcome on the eager original."""

    line: int
    test: str
    symbol: str
    when_true: tuple[str, ...]
    when_false: tuple[str, ...]
    # A masked loop's test: (case, iterations the eager original ran in that case, all calls).
    iterations: tuple[tuple[str, int], ...] = ()

    @property
    def both(self) -> bool:
        return bool(self.when_true) and bool(self.when_false)


@dataclass(frozen=True)
class Verification:
    """What the exports of the written wrapper showed."""

    ok: bool
    exporters: tuple[ExporterVerdict, ...]
    coverage: tuple[BranchCoverage, ...]
    rtol: float
    atol: float
    output_names: tuple[str, ...]


@dataclass(frozen=True)
class FixReport:
    """Everything `exportlint fix` did for one target.

    `verification` is None with `--diff` (nothing written, nothing exported); `report_path`
    is set by the parent once it writes the JSON report.
    """

    target: str
    name: str
    fixers: tuple[str, ...]
    notes: tuple[Note, ...]
    manual: tuple[Manual, ...]
    findings: tuple[Finding, ...]
    wrapper_path: str
    source: str
    verification: Verification | None = None
    report_path: str = ""

    @property
    def verified(self) -> bool:
        return self.verification is not None

    @property
    def ok(self) -> bool | None:
        """True when every check passed; None when nothing was verified."""
        return None if self.verification is None else self.verification.ok
